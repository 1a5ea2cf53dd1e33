//! Crowd-count forecasting for the risk-sensing net: regular series of
//! counts with gaps ([`Series`]), the models that forecast them
//! ([`Model`]), the event calendar ([`events`]), density bands and when a forecast crosses them
//! ([`bands`]), a rolling-origin evaluation against seasonal-naive
//! ([`eval`]), and the counts CSV that feeds both ([`counts_csv`]).
//!
//! Counts are modelled on a log scale (`ln(1 + count)`): crowds grow and
//! shrink by factors, and a forecast never goes below zero. Pure code: no
//! clock, no runtime, no I/O beyond parsing text handed in.

pub mod bands;
pub mod counts_csv;
pub mod eval;
pub mod events;
pub mod models;
mod series;

pub use bands::{Band, Bands, Crossing};
pub use events::{Calendar, CalendarError, Occurrence};
pub use models::{forecast, forecast_with_calendar, Forecast, ForecastError, Model};
pub use series::{Series, SeriesError, SECONDS_PER_DAY};
