//! Tessera's engine: the customer store, import, segments, templates, rendering, serving. The
//! `tessera` CLI and the desktop app are thin hosts over its use-case layer, [`app`], the only
//! part they can name: the capabilities below are the engine's own (and its tests', which build
//! with the `internals` feature).

pub mod app;
/// `tessera bench`, for the CLI only (it spawns Node and Python for its baselines).
#[cfg(feature = "cli")]
pub mod bench;

// Declared here rather than by `capabilities!`: it defines `coded!`, which a macro-declared
// module could not export by path.
#[cfg(feature = "internals")]
pub mod error;
#[cfg(not(feature = "internals"))]
#[allow(dead_code, unused_imports)]
pub(crate) mod error;

/// Declares the engine's capability modules: public to the tests (feature `internals`), to
/// the crate alone otherwise.
macro_rules! capabilities {
    ($($name:ident),* $(,)?) => {
        $(
            #[cfg(feature = "internals")]
            pub mod $name;
            #[cfg(not(feature = "internals"))]
            #[allow(dead_code, unused_imports)]
            pub(crate) mod $name;
        )*
    };
}

capabilities!(
    campaigns,
    customers,
    demo,
    document,
    experiments,
    microsites,
    output,
    render,
    scores,
    segments,
    sending,
    serve,
    store,
    storyboards,
    templates,
    values,
);
