//! A Handlebars template compiled once into a plan of static bytes and slots.
//!
//! Parsing is handlebars-rust's own (so syntax, whitespace control and standalone-line rules are
//! exactly Handlebars'); rendering walks the plan instead of interpreting the template per
//! customer, which is what makes batch rendering fast. `tests/templates` renders random data
//! through both this and handlebars-rust and requires identical output.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;

use handlebars::template::{BlockParam, HelperTemplate, Parameter, Template, TemplateElement};
use handlebars::{Path, PathSeg};
use serde_json::Value;

use super::helpers::{self, text, truthy, Helper, HelperArgs};
use super::html_context::{is_safe_url, HtmlContext};
use super::TemplateError;

/// Where a merge tag sits in its source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Slot {
    /// The field as written (`first_name`, `product.price`).
    pub field: String,
    pub line: usize,
    pub column: usize,
}

pub struct Plan {
    nodes: Vec<Node>,
    slots: Vec<Slot>,
    /// Merge tags that start a URL attribute's value (their output's scheme is checked), with
    /// the value slot of the same tag, if it has one.
    url_slots: Vec<Slot>,
    url_value_slots: Vec<Option<u32>>,
    /// Merge tags that print customer data unescaped into HTML (`{{{field}}}`, `{{&field}}`).
    raw_outputs: Vec<Slot>,
    /// Merge tags in CSS (a `style` attribute or element): their values are written with CSS
    /// escapes, so a value is one word of CSS and never a rule or a `url(…)`.
    css_outputs: Vec<Slot>,
    /// Largest output seen so far is a good first capacity; kept as a hint only.
    pub size_hint: usize,
}

/// How a plan's output is escaped: a mode per output, chosen by what the output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escaping {
    /// HTML: values are escaped (unless the template asks for raw output) and URLs checked.
    Html,
    /// Plain text (subjects, the text part): values are written as they are.
    PlainText,
}

enum Node {
    Static(String),
    Value {
        path: PathRef,
        escape: bool,
        /// The URL slot, when the value starts a URL attribute.
        url: Option<u32>,
        /// Whether the value is written into CSS.
        css: bool,
        slot: u32,
    },
    Call {
        call: Call,
        escape: bool,
        url: Option<u32>,
        css: bool,
    },
    If {
        cond: Arg,
        negate: bool,
        include_zero: bool,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    Each {
        list: Arg,
        params: Option<(String, Option<String>)>,
        body: Vec<Node>,
        otherwise: Vec<Node>,
        /// Where the block opens (a loop that runs away is reported there).
        line: usize,
        column: usize,
    },
    With {
        value: Arg,
        param: Option<String>,
        body: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

struct Call {
    helper: &'static Helper,
    params: Vec<Arg>,
    hash: Vec<(String, Arg)>,
    line: usize,
    column: usize,
}

enum Arg {
    /// A path, with the slot to report if it is missing (for helpers that report missing args).
    Path(PathRef, Option<u32>),
    Literal(Value),
    Call(Box<Call>),
}

#[derive(Debug, Clone)]
enum PathRef {
    /// `name`, `a.b`, `../name`, `this`: `up` scopes up, then the segments.
    Context {
        up: usize,
        segs: Vec<String>,
    },
    Root(Vec<String>),
    /// `@index`, `@key`, `@first`, `@last`, `up` scopes up.
    Local {
        up: usize,
        name: String,
    },
    /// A block parameter (`as |item i|`) declared `up` scopes up.
    BlockItem {
        up: usize,
        segs: Vec<String>,
    },
    BlockIndex {
        up: usize,
    },
}

/// Compiles `source` for output escaped as `escaping` says. Nesting is checked first (see
/// `mustache::check_nesting`): the parser and these plans recurse per level.
pub fn compile(source: &str, escaping: Escaping) -> Result<Plan, TemplateError> {
    super::mustache::check_nesting(source)?;
    let mut compiler = Compiler {
        slots: Vec::new(),
        url_slots: Vec::new(),
        url_value_slots: Vec::new(),
        raw_outputs: Vec::new(),
        css_outputs: Vec::new(),
        block_params: Vec::new(),
        escape: escaping == Escaping::Html,
        html: (escaping == Escaping::Html).then(HtmlContext::default),
        offset: (0, 0),
    };
    // handlebars-rust computes each element's line by counting from the start of its input,
    // which is quadratic in the template's size (20,000 tags took 9 s): long sources are parsed
    // in pieces that split nothing Handlebars relates (see `mustache::pieces`).
    let mut nodes: Vec<Node> = Vec::new();
    for piece in super::mustache::pieces(source) {
        compiler.offset = (piece.line - 1, piece.column - 1);
        let template = Template::compile(&source[piece.start..piece.end]).map_err(|e| {
            let e = TemplateError::from_handlebars(e);
            let (line, column) = compiler.place(e.line, e.column);
            TemplateError { line, column, ..e }
        })?;
        for node in compiler.template(&template, (piece.line, piece.column))? {
            match (nodes.last_mut(), node) {
                (Some(Node::Static(prev)), Node::Static(next)) => prev.push_str(&next),
                (_, node) => nodes.push(node),
            }
        }
    }
    Ok(Plan {
        nodes,
        slots: compiler.slots,
        url_slots: compiler.url_slots,
        url_value_slots: compiler.url_value_slots,
        raw_outputs: compiler.raw_outputs,
        css_outputs: compiler.css_outputs,
        size_hint: source.len(),
    })
}

struct Compiler {
    slots: Vec<Slot>,
    url_slots: Vec<Slot>,
    url_value_slots: Vec<Option<u32>>,
    raw_outputs: Vec<Slot>,
    css_outputs: Vec<Slot>,
    /// Block parameter names of enclosing blocks, innermost last; `None` for blocks without.
    block_params: Vec<Option<(String, Option<String>)>>,
    escape: bool,
    /// Where in the HTML the text compiled so far ends (HTML output only).
    html: Option<HtmlContext>,
    /// Where the piece of the source being compiled starts: lines before it, and characters
    /// before it on its first line.
    offset: (usize, usize),
}

impl Compiler {
    fn template(&mut self, t: &Template, at: (usize, usize)) -> Result<Vec<Node>, TemplateError> {
        let mut nodes: Vec<Node> = Vec::with_capacity(t.elements.len());
        for (i, element) in t.elements.iter().enumerate() {
            let (line, column) = t.mapping.get(i).map_or(at, |m| self.place(m.0, m.1));
            match element {
                TemplateElement::RawString(s) => {
                    if let Some(html) = &mut self.html {
                        html.feed(s);
                    }
                    match nodes.last_mut() {
                        Some(Node::Static(prev)) => prev.push_str(s),
                        _ => nodes.push(Node::Static(s.clone())),
                    }
                }
                TemplateElement::Comment(_) => {}
                TemplateElement::Expression(ht) => {
                    nodes.push(self.expression(ht, self.escape, line, column)?)
                }
                TemplateElement::HtmlExpression(ht) => {
                    if self.escape && Self::reads_data(ht) {
                        let field = match &ht.name {
                            Parameter::Name(n) => n.clone(),
                            Parameter::Path(Path::Relative((_, raw)))
                            | Parameter::Path(Path::Local((_, _, raw))) => raw.clone(),
                            _ => "?".into(),
                        };
                        self.raw_outputs.push(Slot {
                            field,
                            line,
                            column,
                        });
                    }
                    nodes.push(self.expression(ht, false, line, column)?)
                }
                TemplateElement::HelperBlock(ht) => nodes.push(self.block(ht, line, column)?),
                TemplateElement::PartialExpression(_) | TemplateElement::PartialBlock(_) => {
                    return Err(TemplateError::at(
                        "partials ({{> name}}) are not available in templates",
                        line,
                        column,
                    )
                    .because("template_partial", &[]))
                }
                _ => {
                    return Err(TemplateError::at(
                        "decorators ({{* name}}) are not available in templates",
                        line,
                        column,
                    )
                    .because("template_decorator", &[]))
                }
            }
        }
        Ok(nodes)
    }

    /// A line and column in the piece being compiled, as a place in the whole source.
    fn place(&self, line: usize, column: usize) -> (usize, usize) {
        if line == 1 {
            (self.offset.0 + 1, self.offset.1 + column)
        } else {
            (self.offset.0 + line, column)
        }
    }

    /// Whether an expression prints something from the merge data (not only literals).
    fn reads_data(ht: &HelperTemplate) -> bool {
        fn param(p: &Parameter) -> bool {
            match p {
                Parameter::Literal(_) => false,
                Parameter::Subexpression(sub) => match sub.element.as_ref() {
                    TemplateElement::Expression(ht) | TemplateElement::HtmlExpression(ht) => {
                        Compiler::reads_data(ht)
                    }
                    _ => true,
                },
                _ => true,
            }
        }
        let helper = matches!(&ht.name, Parameter::Name(n) if helpers::find(n).is_some());
        (!helper && param(&ht.name)) || ht.params.iter().any(param) || ht.hash.values().any(param)
    }

    /// The URL slot of an expression at this point of the HTML and whether it is in CSS, and
    /// the note that the HTML has content here now.
    fn output_site(
        &mut self,
        field: &str,
        value_slot: Option<u32>,
        line: usize,
        column: usize,
    ) -> (Option<u32>, bool) {
        let Some(html) = self.html.as_mut() else {
            return (None, false);
        };
        let at_start = html.at_url_start();
        let css = html.in_css();
        html.dynamic_content();
        if css {
            self.css_outputs.push(Slot {
                field: field.to_string(),
                line,
                column,
            });
        }
        let url = at_start.then(|| {
            self.url_value_slots.push(value_slot);
            self.url_slots.push(Slot {
                field: field.to_string(),
                line,
                column,
            });
            (self.url_slots.len() - 1) as u32
        });
        (url, css)
    }

    fn slot(&mut self, field: String, line: usize, column: usize) -> u32 {
        self.slots.push(Slot {
            field,
            line,
            column,
        });
        (self.slots.len() - 1) as u32
    }

    fn expression(
        &mut self,
        ht: &HelperTemplate,
        escape: bool,
        line: usize,
        column: usize,
    ) -> Result<Node, TemplateError> {
        let name = match &ht.name {
            Parameter::Name(n) => Some(n.as_str()),
            _ => None,
        };
        if let Some(helper) = name.and_then(helpers::find) {
            // Reported by the first field the helper reads (`{{default link "#"}}`: `link`).
            let field = ht
                .params
                .iter()
                .find_map(|p| match p {
                    Parameter::Name(n) => Some(n.clone()),
                    Parameter::Path(Path::Relative((_, raw))) => Some(raw.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| helper.name.to_string());
            let (url, css) = self.output_site(&field, None, line, column);
            return Ok(Node::Call {
                call: self.call(helper, ht, line, column)?,
                escape,
                url,
                css,
            });
        }
        if !ht.params.is_empty() || !ht.hash.is_empty() {
            return Err(unknown_helper(name.unwrap_or("?"), line, column));
        }
        let (path, field) = self.path_of(&ht.name, line, column)?;
        let next_slot = self.slots.len() as u32;
        let (url, css) = self.output_site(&field, Some(next_slot), line, column);
        let slot = self.slot(field, line, column);
        Ok(Node::Value {
            path,
            escape,
            url,
            css,
            slot,
        })
    }

    fn call(
        &mut self,
        helper: &'static Helper,
        ht: &HelperTemplate,
        line: usize,
        column: usize,
    ) -> Result<Call, TemplateError> {
        let params = ht
            .params
            .iter()
            .map(|p| self.arg(p, helper.reports_missing, line, column))
            .collect::<Result<_, _>>()?;
        let mut hash: Vec<(String, Arg)> = ht
            .hash
            .iter()
            .map(|(k, p)| Ok((k.clone(), self.arg(p, false, line, column)?)))
            .collect::<Result<_, TemplateError>>()?;
        hash.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Call {
            helper,
            params,
            hash,
            line,
            column,
        })
    }

    fn arg(
        &mut self,
        p: &Parameter,
        reports_missing: bool,
        line: usize,
        column: usize,
    ) -> Result<Arg, TemplateError> {
        Ok(match p {
            Parameter::Literal(v) => Arg::Literal(v.clone()),
            Parameter::Subexpression(sub) => match sub.element.as_ref() {
                TemplateElement::Expression(ht) | TemplateElement::HtmlExpression(ht) => {
                    let name = match &ht.name {
                        Parameter::Name(n) => n.as_str(),
                        _ => "?",
                    };
                    let helper =
                        helpers::find(name).ok_or_else(|| unknown_helper(name, line, column))?;
                    Arg::Call(Box::new(self.call(helper, ht, line, column)?))
                }
                _ => return Err(TemplateError::at("unsupported subexpression", line, column)),
            },
            _ => {
                let (path, field) = self.path_of(p, line, column)?;
                let slot = reports_missing.then(|| self.slot(field, line, column));
                Arg::Path(path, slot)
            }
        })
    }

    fn path_of(
        &self,
        p: &Parameter,
        line: usize,
        column: usize,
    ) -> Result<(PathRef, String), TemplateError> {
        let path = match p {
            Parameter::Path(path) => path.clone(),
            Parameter::Name(name) => Path::parse(name).map_err(|_| {
                TemplateError::at(format!("invalid field name '{name}'"), line, column)
                    .because("template_invalid_field", &[("name", name.clone())])
            })?,
            _ => return Err(TemplateError::at("expected a field name", line, column)),
        };
        Ok(match path {
            Path::Local((up, name, raw)) => (PathRef::Local { up, name }, raw),
            Path::Relative((segs, raw)) => {
                let mut up = 0;
                let mut root = false;
                let mut names = Vec::new();
                for seg in &segs {
                    match seg {
                        PathSeg::Named(n) => names.push(n.clone()),
                        // The grammar's rule type is private; its Debug name is stable.
                        other => match format!("{other:?}").as_str() {
                            "Ruled(path_up)" => up += 1,
                            "Ruled(path_root)" => root = true,
                            _ => {}
                        },
                    }
                }
                let field = if raw.is_empty() {
                    "this".to_string()
                } else {
                    raw
                };
                if root {
                    return Ok((PathRef::Root(names), field));
                }
                if up == 0 {
                    if let Some(first) = names.first() {
                        // Block parameters shadow fields, innermost first (as handlebars-rust).
                        for (depth, params) in self.block_params.iter().rev().enumerate() {
                            if let Some((item, index)) = params {
                                if item == first {
                                    return Ok((
                                        PathRef::BlockItem {
                                            up: depth,
                                            segs: names[1..].to_vec(),
                                        },
                                        field,
                                    ));
                                }
                                if index.as_deref() == Some(first.as_str()) {
                                    return Ok((PathRef::BlockIndex { up: depth }, field));
                                }
                            }
                        }
                    }
                }
                (PathRef::Context { up, segs: names }, field)
            }
        })
    }

    fn block_param_names(ht: &HelperTemplate) -> Option<(String, Option<String>)> {
        let name = |p: &Parameter| match p {
            Parameter::Name(n) => n.clone(),
            Parameter::Path(p) => format!("{p:?}"),
            _ => String::new(),
        };
        match &ht.block_param {
            Some(BlockParam::Single(p)) => Some((name(p), None)),
            Some(BlockParam::Pair((a, b))) => Some((name(a), Some(name(b)))),
            _ => None,
        }
    }

    fn block(
        &mut self,
        ht: &HelperTemplate,
        line: usize,
        column: usize,
    ) -> Result<Node, TemplateError> {
        let name = match &ht.name {
            Parameter::Name(n) => n.as_str(),
            _ => "?",
        };
        let first = ht.params.first().ok_or_else(|| {
            TemplateError::at(format!("{{{{#{name}}}}} needs an argument"), line, column)
                .because("template_needs_argument", &[("name", name.to_string())])
        })?;
        let first = self.arg(first, false, line, column)?;
        let body_at = (line, column);
        let pushes_scope = matches!(name, "each" | "with");
        let params = Self::block_param_names(ht);
        if pushes_scope {
            self.block_params.push(params.clone());
        }
        // Each branch starts where the block does; the document goes on from the first branch.
        let before = self.html.clone();
        let body = match &ht.template {
            Some(t) => self.template(t, body_at)?,
            None => Vec::new(),
        };
        if pushes_scope {
            self.block_params.pop();
        }
        let after = std::mem::replace(&mut self.html, before);
        let otherwise = match &ht.inverse {
            Some(t) => self.template(t, body_at)?,
            None => Vec::new(),
        };
        self.html = after;
        Ok(match name {
            "if" | "unless" => {
                let include_zero = ht
                    .hash
                    .get("includeZero")
                    .is_some_and(|p| matches!(p, Parameter::Literal(Value::Bool(true))));
                Node::If {
                    cond: first,
                    negate: name == "unless",
                    include_zero,
                    then: body,
                    otherwise,
                }
            }
            "each" => Node::Each {
                list: first,
                params,
                body,
                otherwise,
                line,
                column,
            },
            "with" => Node::With {
                value: first,
                param: params.map(|p| p.0),
                body,
                otherwise,
            },
            other if helpers::find(other).is_some() => {
                return Err(TemplateError::at(
                    format!("'{other}' is not a block helper: write {{{{{other} ...}}}} without #"),
                    line,
                    column,
                )
                .because("template_not_block", &[("name", other.to_string())]))
            }
            other => return Err(unknown_helper(other, line, column)),
        })
    }
}

fn unknown_helper(name: &str, line: usize, column: usize) -> TemplateError {
    let known: Vec<&str> = helpers::BLOCK_HELPERS
        .iter()
        .copied()
        .chain(helpers::HELPERS.iter().map(|h| h.name))
        .collect();
    TemplateError::at(
        format!("unknown helper '{name}' (available: {})", known.join(", ")),
        line,
        column,
    )
    .because(
        "template_unknown_helper",
        &[("name", name.to_string()), ("available", known.join(", "))],
    )
}

/// One level of context: the value `this` refers to, plus what `@index` and block params see.
struct Scope<'s> {
    value: &'s Value,
    index: Option<usize>,
    key: Option<&'s str>,
    first: bool,
    last: bool,
    /// Whether this scope was opened by a block that declared block parameters.
    has_params: bool,
    parent: Option<&'s Scope<'s>>,
}

impl<'s> Scope<'s> {
    fn up(&self, n: usize) -> &Scope<'s> {
        let mut s = self;
        for _ in 0..n {
            match s.parent {
                Some(p) => s = p,
                None => break,
            }
        }
        s
    }
    fn root(&self) -> &Scope<'s> {
        let mut s = self;
        while let Some(p) = s.parent {
            s = p;
        }
        s
    }
    /// The `n`-th enclosing scope that declared block parameters.
    fn with_params(&self, n: usize) -> Option<&Scope<'s>> {
        let mut s = Some(self);
        let mut seen = 0;
        while let Some(scope) = s {
            if scope.has_params {
                if seen == n {
                    return Some(scope);
                }
                seen += 1;
            }
            s = scope.parent;
        }
        None
    }
}

fn navigate<'v>(mut v: &'v Value, segs: &[String]) -> Option<&'v Value> {
    for seg in segs {
        v = match v {
            Value::Object(m) => m.get(seg)?,
            Value::Array(items) => items.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// What rendering one customer noted, by slot: merge tags whose value was missing, and URL
/// slots whose value had a scheme that is not followed (it was replaced by `#`).
#[derive(Debug, Default)]
pub struct Notes {
    pub missing: Vec<u32>,
    pub unsafe_urls: Vec<u32>,
}

impl Notes {
    pub fn clear(&mut self) {
        self.missing.clear();
        self.unsafe_urls.clear();
    }
}

pub struct RenderEnv<'a> {
    pub locale: &'a str,
}

#[derive(Debug, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct RenderError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The most one render may write (one email, one page): far beyond any real message, small
/// enough that a template whose loops multiply cannot exhaust memory.
pub const MAX_OUTPUT: usize = 8 << 20;
/// The most steps (merge tags, blocks, block bodies) one render may take: loops nested over the
/// same list multiply the work even where they write nothing.
pub const MAX_STEPS: u64 = 2_000_000;

/// What one render has left to spend.
struct Budget {
    steps: u64,
    /// The output length it may not pass.
    limit: usize,
}

impl Budget {
    /// A step taken, and whether the output is still within bounds; an error without a place
    /// (the enclosing `{{#each}}`, or the template's start, is named by the caller).
    fn spend(&mut self, written: usize) -> Result<(), RenderError> {
        self.steps += 1;
        let message = if self.steps > MAX_STEPS {
            format!(
                "rendering takes more than {MAX_STEPS} steps for this customer (loops nested over long lists); render less for each customer"
            )
        } else if written > self.limit {
            format!(
                "the output grows past {} MB for this customer; render less for each customer",
                MAX_OUTPUT >> 20
            )
        } else {
            return Ok(());
        };
        Err(RenderError {
            line: 0,
            column: 0,
            message,
        })
    }
}

/// A budget error given the place of the block it happened in, if it has none yet.
fn placed(mut e: RenderError, line: usize, column: usize) -> RenderError {
    if e.line == 0 {
        e.line = line;
        e.column = column;
    }
    e
}

impl crate::error::Coded for RenderError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Template
    }

    fn place(&self) -> Option<(usize, usize)> {
        Some((self.line, self.column))
    }
}

impl Plan {
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// Merge tags that start a URL attribute (see [`Notes::unsafe_urls`]).
    pub fn url_slots(&self) -> &[Slot] {
        &self.url_slots
    }

    /// Merge tags that print merge data as raw HTML.
    pub fn raw_outputs(&self) -> &[Slot] {
        &self.raw_outputs
    }

    /// Merge tags whose values are written into CSS (see [`escape_css_into`]).
    pub fn css_outputs(&self) -> &[Slot] {
        &self.css_outputs
    }

    /// Gives each slot the position of the same field in `source` (this plan was compiled from
    /// generated text, e.g. MJML's HTML, whose lines mean nothing to the user).
    pub fn locate_slots_in(&mut self, source: &[Slot]) {
        // The k-th use of a field here is the k-th in the source when both use it as often
        // (MJML copies some tags, e.g. the title into an aria-label); else its first use.
        let mut in_source: HashMap<&str, Vec<&Slot>> = HashMap::with_capacity(source.len());
        for s in source {
            in_source.entry(s.field.as_str()).or_default().push(s);
        }
        let mut here: HashMap<String, usize> = HashMap::new();
        for slot in &self.slots {
            *here.entry(slot.field.clone()).or_default() += 1;
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for slot in &mut self.slots {
            let Some(uses) = in_source.get(slot.field.as_str()) else {
                continue;
            };
            let k = seen.entry(slot.field.clone()).or_default();
            let place = if here.get(&slot.field) == Some(&uses.len()) {
                uses[*k]
            } else {
                uses[0]
            };
            *k += 1;
            (slot.line, slot.column) = (place.line, place.column);
        }
        for (url, value) in self.url_slots.iter_mut().zip(&self.url_value_slots) {
            let place = match value {
                Some(v) => Some((self.slots[*v as usize].line, self.slots[*v as usize].column)),
                None => in_source
                    .get(url.field.as_str())
                    .map(|uses| (uses[0].line, uses[0].column)),
            };
            if let Some(place) = place {
                (url.line, url.column) = place;
            }
        }
    }

    /// Moves the places of blocks and helper calls (where render errors are reported) by
    /// `place`: from the HTML MJML made to the template's own source.
    pub fn locate_places(&mut self, place: &dyn Fn(usize, usize) -> (usize, usize)) {
        fn call(c: &mut Call, place: &dyn Fn(usize, usize) -> (usize, usize)) {
            (c.line, c.column) = place(c.line, c.column);
            for arg in c.params.iter_mut().chain(c.hash.iter_mut().map(|(_, a)| a)) {
                if let Arg::Call(inner) = arg {
                    call(inner, place);
                }
            }
        }
        fn nodes(list: &mut [Node], place: &dyn Fn(usize, usize) -> (usize, usize)) {
            for node in list {
                match node {
                    Node::Call { call: c, .. } => call(c, place),
                    Node::If {
                        then, otherwise, ..
                    }
                    | Node::With {
                        body: then,
                        otherwise,
                        ..
                    } => {
                        nodes(then, place);
                        nodes(otherwise, place);
                    }
                    Node::Each {
                        body,
                        otherwise,
                        line,
                        column,
                        ..
                    } => {
                        (*line, *column) = place(*line, *column);
                        nodes(body, place);
                        nodes(otherwise, place);
                    }
                    Node::Static(_) | Node::Value { .. } => {}
                }
            }
        }
        nodes(&mut self.nodes, place);
    }

    /// Renders `data` into `out`, noting missing fields in `notes`.
    pub fn render(
        &self,
        data: &Value,
        env: &RenderEnv,
        out: &mut Vec<u8>,
        notes: &mut Notes,
    ) -> Result<(), RenderError> {
        let root = Scope {
            value: data,
            index: None,
            key: None,
            first: false,
            last: false,
            has_params: false,
            parent: None,
        };
        let mut budget = Budget {
            steps: 0,
            limit: out.len() + MAX_OUTPUT,
        };
        render_nodes(&self.nodes, &root, env, out, notes, &mut budget).map_err(|e| placed(e, 1, 1))
    }

    pub fn render_to_string(&self, data: &Value, env: &RenderEnv) -> Result<String, RenderError> {
        let mut out = Vec::with_capacity(self.size_hint);
        self.render(data, env, &mut out, &mut Notes::default())?;
        Ok(into_string(out))
    }
}

fn resolve<'s>(path: &PathRef, scope: &'s Scope<'s>) -> Option<Cow<'s, Value>> {
    match path {
        PathRef::Context { up, segs } => navigate(scope.up(*up).value, segs).map(Cow::Borrowed),
        PathRef::Root(segs) => navigate(scope.root().value, segs).map(Cow::Borrowed),
        PathRef::Local { up, name } => {
            let s = scope.up(*up);
            match name.as_str() {
                "index" => s.index.map(|i| Cow::Owned(Value::from(i))),
                "key" => s.key.map(|k| Cow::Owned(Value::String(k.to_string()))),
                "first" => s.index.map(|_| Cow::Owned(Value::Bool(s.first))),
                "last" => s.index.map(|_| Cow::Owned(Value::Bool(s.last))),
                _ => None,
            }
        }
        PathRef::BlockItem { up, segs } => {
            navigate(scope.with_params(*up)?.value, segs).map(Cow::Borrowed)
        }
        PathRef::BlockIndex { up } => {
            let s = scope.with_params(*up)?;
            match s.key {
                Some(k) => Some(Cow::Owned(Value::String(k.to_string()))),
                None => s.index.map(|i| Cow::Owned(Value::from(i))),
            }
        }
    }
}

fn eval<'s>(
    arg: &'s Arg,
    scope: &'s Scope<'s>,
    env: &RenderEnv,
    notes: &mut Notes,
) -> Result<Cow<'s, Value>, RenderError> {
    match arg {
        Arg::Literal(v) => Ok(Cow::Borrowed(v)),
        Arg::Path(p, slot) => {
            let v = resolve(p, scope);
            if let Some(slot) = slot {
                if !v.as_deref().is_some_and(helpers::present) {
                    notes.missing.push(*slot);
                }
            }
            Ok(v.unwrap_or(Cow::Owned(Value::Null)))
        }
        Arg::Call(call) => Ok(Cow::Owned(call_helper(call, scope, env, notes)?)),
    }
}

fn call_helper(
    call: &Call,
    scope: &Scope,
    env: &RenderEnv,
    notes: &mut Notes,
) -> Result<Value, RenderError> {
    let mut params: Vec<Cow<Value>> = Vec::with_capacity(call.params.len());
    for a in &call.params {
        params.push(eval(a, scope, env, notes)?);
    }
    let mut hash_values: Vec<(&str, Cow<Value>)> = Vec::with_capacity(call.hash.len());
    for (k, a) in &call.hash {
        hash_values.push((k.as_str(), eval(a, scope, env, notes)?));
    }
    (call.helper.run)(&HelperArgs {
        params: &params,
        hash: &hash_values,
        locale: env.locale,
    })
    .map_err(|message| RenderError {
        line: call.line,
        column: call.column,
        message: format!("{}: {message}", call.helper.name),
    })
}

fn render_nodes(
    nodes: &[Node],
    scope: &Scope,
    env: &RenderEnv,
    out: &mut Vec<u8>,
    notes: &mut Notes,
    budget: &mut Budget,
) -> Result<(), RenderError> {
    for node in nodes {
        budget.spend(out.len())?;
        match node {
            Node::Static(s) => out.extend_from_slice(s.as_bytes()),
            Node::Value {
                path,
                escape,
                url,
                css,
                slot,
            } => match resolve(path, scope) {
                Some(v) => {
                    if !helpers::present(&v) {
                        notes.missing.push(*slot);
                    }
                    write_checked(out, &v, (*escape, *css), *url, notes)
                }
                None => notes.missing.push(*slot),
            },
            Node::Call {
                call,
                escape,
                url,
                css,
            } => {
                let v = call_helper(call, scope, env, notes)?;
                write_checked(out, &v, (*escape, *css), *url, notes);
            }
            Node::If {
                cond,
                negate,
                include_zero,
                then,
                otherwise,
            } => {
                let v = eval(cond, scope, env, notes)?;
                let is_true = if *include_zero {
                    truthy(&v) || v.as_f64() == Some(0.0)
                } else {
                    truthy(&v)
                };
                let branch = if is_true != *negate { then } else { otherwise };
                render_nodes(branch, scope, env, out, notes, budget)?;
            }
            Node::Each {
                list,
                params,
                body,
                otherwise,
                line,
                column,
            } => {
                let placed = |e| placed(e, *line, *column);
                let v = eval(list, scope, env, notes)?;
                let has_params = params.is_some();
                match v.as_ref() {
                    Value::Array(items) if !items.is_empty() || otherwise.is_empty() => {
                        let n = items.len();
                        for (i, item) in items.iter().enumerate() {
                            let child = Scope {
                                value: item,
                                index: Some(i),
                                key: None,
                                first: i == 0,
                                last: i + 1 == n,
                                has_params,
                                parent: Some(scope),
                            };
                            render_nodes(body, &child, env, out, notes, budget).map_err(placed)?;
                        }
                    }
                    Value::Object(map) if !map.is_empty() || otherwise.is_empty() => {
                        let n = map.len();
                        for (i, (k, item)) in map.iter().enumerate() {
                            let child = Scope {
                                value: item,
                                index: Some(i),
                                key: Some(k),
                                first: i == 0,
                                last: i + 1 == n,
                                has_params,
                                parent: Some(scope),
                            };
                            render_nodes(body, &child, env, out, notes, budget).map_err(placed)?;
                        }
                    }
                    _ => render_nodes(otherwise, scope, env, out, notes, budget).map_err(placed)?,
                }
            }
            Node::With {
                value,
                param,
                body,
                otherwise,
            } => {
                let v = eval(value, scope, env, notes)?;
                if truthy(&v) {
                    // `with` keeps the enclosing @index/@key visible, as Handlebars does.
                    let child = Scope {
                        value: &v,
                        index: scope.index,
                        key: scope.key,
                        first: scope.first,
                        last: scope.last,
                        has_params: param.is_some(),
                        parent: Some(scope),
                    };
                    render_nodes(body, &child, env, out, notes, budget)?;
                } else {
                    render_nodes(otherwise, scope, env, out, notes, budget)?;
                }
            }
        }
    }
    Ok(())
}

/// Writes a value; one that starts a URL attribute is written only if its scheme is safe, else
/// `#` (an inert link) and the slot is noted; an escaped one in CSS with CSS escapes.
fn write_checked(
    out: &mut Vec<u8>,
    v: &Value,
    (escape, css): (bool, bool),
    url: Option<u32>,
    notes: &mut Notes,
) {
    if let (Some(slot), Value::String(s)) = (url, v) {
        if !is_safe_url(s, !escape) {
            notes.unsafe_urls.push(slot);
            out.push(b'#');
            return;
        }
    }
    if css && escape {
        return match v {
            Value::Null => {}
            Value::String(s) => escape_css_into(out, s),
            other => escape_css_into(out, &text(other)),
        };
    }
    write_value(out, v, escape)
}

/// What `template check` says of a merge tag written into CSS.
pub fn css_warning(slot: &Slot) -> String {
    format!(
        "line {}, column {}: '{}' is written into CSS; its value is kept to one word of CSS (letters, digits, spaces and # . , % - _ as they are, anything else escaped), so a customer's value cannot add rules or load a URL",
        slot.line, slot.column, slot.field
    )
}

/// A value as one word of CSS: letters (of any script), digits, spaces and `# . , % - _` as
/// they are (colours, sizes, font names), anything else as a CSS escape (`;` is `\3b `), so
/// it can end no declaration, open no `url(…)` or comment, and leave no `<style>` element. The
/// result needs no HTML escaping either.
pub fn escape_css_into(out: &mut Vec<u8>, s: &str) {
    for c in s.chars() {
        let plain = c.is_ascii_alphanumeric()
            || matches!(c, ' ' | '#' | '.' | ',' | '%' | '-' | '_')
            || (!c.is_ascii() && !c.is_control() && !c.is_whitespace());
        if plain {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        } else {
            let _ = write!(out, "\\{:x} ", c as u32);
        }
    }
}

fn write_value(out: &mut Vec<u8>, v: &Value, escape: bool) {
    match v {
        Value::String(s) if escape => escape_html_into(out, s),
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Null => {}
        // Digits, '.', '-', 'e' and "true"/"false" never need escaping.
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        other => {
            let t = text(other);
            if escape {
                escape_html_into(out, &t)
            } else {
                out.extend_from_slice(t.as_bytes())
            }
        }
    }
}

/// Rendered bytes as text. Plans only ever write UTF-8 (template text and JSON strings), so the
/// lossy path is a safety net, not a code path.
pub fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Text for HTML element content or a double-quoted attribute (`& < > "`), for pages Tessera
/// writes itself (Handlebars' own, stricter escaping is `escape_html_into`).
pub fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Handlebars' HTML escaping (`& < > " ' \` =`), writing runs of safe bytes at once.
pub fn escape_html_into(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&#x27;",
            b'`' => b"&#x60;",
            b'=' => b"&#x3D;",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(rep);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}
