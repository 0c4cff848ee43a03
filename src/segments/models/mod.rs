//! Customer-value models fitted by maximum likelihood: BG/NBD (how many more purchases, and the
//! probability a customer is still active) and Gamma-Gamma (how much each purchase is worth).
//! Fader, Hardie & Lee (2005), "Counting your customers the easy way" and "RFM and CLV".

pub mod bgnbd;
pub mod gamma_gamma;
pub mod optimize;

/// One customer's purchase history in model terms (time in weeks).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct History {
    /// Repeat purchases (purchase days after the first).
    pub x: f64,
    /// Time of the last purchase, from the first.
    pub t_x: f64,
    /// Time from the first purchase to the end of the observation.
    pub t: f64,
    /// Average value of the repeat purchases (0 when there are none).
    pub mean_value: f64,
}

pub(crate) fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}
