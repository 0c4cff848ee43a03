//! handlebars-rust with Tessera's helpers registered: the reference semantics that compiled
//! plans must match (checked by a differential test), and a second opinion when debugging.

use std::borrow::Cow;

use handlebars::{
    Context, Handlebars, Helper as HbsHelper, HelperDef, RenderContext, RenderError,
    RenderErrorReason, ScopedJson,
};
use serde_json::Value;

use super::email::locale_of;
use super::helpers::{Helper, HelperArgs, HELPERS};

struct Adapter(&'static Helper);

impl HelperDef for Adapter {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &HbsHelper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let params: Vec<Cow<Value>> = h
            .params()
            .iter()
            .map(|p| Cow::Borrowed(p.value()))
            .collect();
        let mut hash: Vec<(&str, Cow<Value>)> = h
            .hash()
            .iter()
            .map(|(k, v)| (*k, Cow::Borrowed(v.value())))
            .collect();
        hash.sort_by(|a, b| a.0.cmp(b.0));
        let args = HelperArgs {
            params: &params,
            hash: &hash,
            locale: locale_of(ctx.data()),
        };
        (self.0.run)(&args)
            .map(ScopedJson::Derived)
            .map_err(|m| RenderErrorReason::Other(format!("{}: {m}", self.0.name)).into())
    }
}

/// A registry with every helper templates may use, and nothing else.
pub fn registry() -> Handlebars<'static> {
    let mut hbs = Handlebars::new();
    // `log` writes to the process log; templates have no business there.
    hbs.unregister_helper("log");
    for helper in HELPERS {
        hbs.register_helper(helper.name, Box::new(Adapter(helper)));
    }
    hbs
}
