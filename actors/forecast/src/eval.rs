//! A rolling-origin evaluation: at origins spread through each series,
//! every model forecasts from the weeks before and is scored at each
//! horizon against what was counted, by MAPE and MASE, beside
//! seasonal-naive. The "chosen" row is the model a forecaster would pick
//! per series and horizon by the backtest so far: at each origin, the one
//! with the lowest MAPE over the earlier origins (seasonal-naive until
//! [`CHOOSE_AFTER_ORIGINS`] have been scored).

use std::collections::BTreeMap;

use crate::events::Calendar;
use crate::models::{forecast_with_calendar, Model};
use crate::series::Series;

/// Origins scored before the choice trusts the backtest.
pub const CHOOSE_AFTER_ORIGINS: usize = 8;
/// Weeks of history the event calendar learns its effects from (the other
/// models see the plan's `history_weeks`): a year, and the weeks before a
/// year-old occurrence that give its usual level.
pub const EVENT_HISTORY_WEEKS: usize = 53 + crate::events::USUAL_WEEKS;

/// What to evaluate.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EvalPlan {
    /// Horizons, in steps ahead (1 = the next step).
    pub horizons_steps: Vec<usize>,
    /// Weeks of history each forecast sees.
    pub history_weeks: usize,
    /// Steps between origins; not a multiple of a day, so origins fall at
    /// every hour of the day and every day of the week in turn.
    pub origin_every_steps: usize,
    /// The prediction interval's level.
    pub level: f64,
}

impl EvalPlan {
    /// Hourly counts: 1 hour, 24 hours and 7 days ahead, 8 weeks of
    /// history, an origin every 31 hours, 80 % intervals.
    pub fn hourly() -> EvalPlan {
        EvalPlan {
            horizons_steps: vec![1, 24, 168],
            history_weeks: 8,
            origin_every_steps: 31,
            level: 0.8,
        }
    }
}

/// One model's score at one horizon.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Score {
    /// The model's name, or "chosen".
    pub model: String,
    /// Steps ahead.
    pub horizon_steps: usize,
    /// Mean absolute percentage error over counts above zero, percent.
    pub mape_pct: f64,
    /// Mean absolute error over the history's seasonal-naive one.
    pub mase: f64,
    /// Share of counts inside the prediction interval.
    pub coverage: f64,
    /// Forecasts scored.
    pub scored: usize,
    /// MAPE over seasonal-naive's at the same horizon.
    pub vs_seasonal_naive: f64,
}

/// One series' scores.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SeriesScores {
    /// Its id.
    pub id: String,
    /// Origins tried.
    pub origins: usize,
    /// Per model and horizon.
    pub scores: Vec<Score>,
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EvalReport {
    /// The plan.
    pub plan: EvalPlan,
    /// Per series.
    pub series: Vec<SeriesScores>,
    /// Every series' forecasts pooled.
    pub pooled: Vec<Score>,
}

/// One forecast's errors at a horizon: absolute percentage error (None for
/// a zero count), absolute scaled error, inside the interval.
#[derive(Debug, Clone, Copy)]
struct Error {
    ape: Option<f64>,
    ase: f64,
    inside: bool,
}

/// Errors per (model name, horizon index), per origin in order.
type Errors = BTreeMap<(String, usize), Vec<Option<Error>>>;

/// The models evaluated: every hourly model, and the event calendar when
/// there are events.
pub fn models(calendar: &Calendar) -> Vec<Model> {
    let mut models = Model::ALL.to_vec();
    if !calendar.is_empty() {
        models.push(Model::EventCalendar);
    }
    models
}

/// Evaluates every model on every series under `plan`, the event calendar
/// with `calendar` when it holds events.
pub fn evaluate(
    series: &BTreeMap<String, Series>,
    plan: &EvalPlan,
    calendar: &Calendar,
) -> EvalReport {
    let mut pooled: Errors = BTreeMap::new();
    let mut reports = Vec::new();
    for (id, one) in series {
        let (origins, errors) = backtest(one, plan, calendar);
        for (key, list) in &errors {
            pooled.entry(key.clone()).or_default().extend(list);
        }
        reports.push(SeriesScores {
            id: id.clone(),
            origins,
            scores: scores(&errors, plan),
        });
    }
    EvalReport {
        plan: plan.clone(),
        series: reports,
        pooled: scores(&pooled, plan),
    }
}

/// Every model's errors at every origin of `series`, and the chosen
/// model's; with the number of origins.
fn backtest(series: &Series, plan: &EvalPlan, calendar: &Calendar) -> (usize, Errors) {
    let models = models(calendar);
    let history = plan.history_weeks * series.week_steps();
    let longest = plan.horizons_steps.iter().copied().max().unwrap_or(1);
    let mut errors: Errors = BTreeMap::new();
    let mut origins = 0;
    let mut origin = history;
    while origin + longest <= series.values.len() {
        origins += 1;
        let past = series.window(origin - history, origin);
        let scale = seasonal_naive_mae(&past);
        for &model in &models {
            let seen = seen_by(model, series, origin, plan.history_weeks);
            let predicted =
                forecast_with_calendar(model, &seen, calendar, longest, plan.level).ok();
            for (index, &h) in plan.horizons_steps.iter().enumerate() {
                let error = predicted.as_ref().and_then(|f| {
                    let actual = series.values[origin + h - 1]?;
                    error_of(
                        actual,
                        f.point[h - 1],
                        (f.lower[h - 1], f.upper[h - 1]),
                        scale,
                    )
                });
                errors
                    .entry((model.name().to_owned(), index))
                    .or_default()
                    .push(error);
            }
        }
        origin += plan.origin_every_steps.max(1);
    }
    add_chosen(&mut errors, &models, plan.horizons_steps.len());
    (origins, errors)
}

/// The history `model` sees at `origin`: `history_weeks` weeks, or
/// [`EVENT_HISTORY_WEEKS`] for the event calendar, which learns from them.
fn seen_by(model: Model, series: &Series, origin: usize, history_weeks: usize) -> Series {
    let weeks = if model == Model::EventCalendar {
        EVENT_HISTORY_WEEKS
    } else {
        history_weeks
    };
    series.window(origin.saturating_sub(weeks * series.week_steps()), origin)
}

/// Origins a live choice of model scores.
pub const CHOICE_ORIGINS: usize = 8;
/// Steps between a live choice's origins (31 hours on hourly counts).
pub const CHOICE_ORIGIN_EVERY_STEPS: usize = 31;
/// Weeks of history each of a live choice's forecasts needs at least.
pub const CHOICE_HISTORY_WEEKS_MIN: usize = 2;

/// The model a live forecast uses, chosen by a short backtest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Choice {
    /// The model with the lowest MAPE.
    pub model: Model,
    /// Its MAPE over the origins, percent.
    pub mape_pct: f64,
    /// Seasonal-naive's over the same origins, percent.
    pub seasonal_naive_mape_pct: f64,
    /// Forecasts scored per model.
    pub scored: usize,
}

/// Chooses the model for a forecast `horizon_steps` ahead of `series`: each
/// model forecasts from the last [`CHOICE_ORIGINS`] origins that leave the
/// horizon inside the series, and the one with the lowest MAPE there wins
/// (seasonal-naive on a tie). `None` when the series is too short to test.
pub fn choose(series: &Series, calendar: &Calendar, horizon_steps: usize) -> Option<Choice> {
    let horizon_steps = horizon_steps.max(1);
    let span = (CHOICE_ORIGINS - 1) * CHOICE_ORIGIN_EVERY_STEPS + horizon_steps;
    let first = series.values.len().checked_sub(span)?;
    if first < CHOICE_HISTORY_WEEKS_MIN * series.week_steps() {
        return None;
    }
    let origins: Vec<usize> = (0..CHOICE_ORIGINS)
        .map(|k| first + k * CHOICE_ORIGIN_EVERY_STEPS)
        .collect();
    let mape = |model: Model| -> (f64, usize) {
        let apes: Vec<f64> = origins
            .iter()
            .filter_map(|&origin| {
                let seen = seen_by(model, series, origin, EvalPlan::hourly().history_weeks);
                let f = forecast_with_calendar(model, &seen, calendar, horizon_steps, 0.8).ok()?;
                let actual = series.values[origin + horizon_steps - 1].filter(|a| *a > 0.0)?;
                Some((actual - f.point[horizon_steps - 1]).abs() / actual)
            })
            .collect();
        (100.0 * mean(&apes), apes.len())
    };
    let (baseline, scored) = mape(Model::SeasonalNaive);
    let mut best = (Model::SeasonalNaive, baseline);
    for model in models(calendar).into_iter().skip(1) {
        let (score, _) = mape(model);
        if score < best.1 {
            best = (model, score);
        }
    }
    (scored > 0).then_some(Choice {
        model: best.0,
        mape_pct: best.1,
        seasonal_naive_mape_pct: baseline,
        scored,
    })
}

fn error_of(actual: f64, point: f64, (lower, upper): (f64, f64), scale: f64) -> Option<Error> {
    (scale > 0.0).then(|| Error {
        ape: (actual > 0.0).then(|| (actual - point).abs() / actual),
        ase: (actual - point).abs() / scale,
        inside: (lower..=upper).contains(&actual),
    })
}

/// The mean absolute week-on-week change of the counts in `past`.
fn seasonal_naive_mae(past: &Series) -> f64 {
    let week = past.week_steps();
    let changes: Vec<f64> = (week..past.values.len())
        .filter_map(|t| Some((past.values[t]? - past.values[t - week]?).abs()))
        .collect();
    if changes.is_empty() {
        0.0
    } else {
        changes.iter().sum::<f64>() / changes.len() as f64
    }
}

/// Adds the "chosen" errors: at each origin, per horizon, the errors of the
/// model with the lowest MAPE over the earlier origins.
fn add_chosen(errors: &mut Errors, models: &[Model], horizons: usize) {
    for index in 0..horizons {
        let per_model: Vec<(&'static str, &Vec<Option<Error>>)> = models
            .iter()
            .filter_map(|m| Some((m.name(), errors.get(&(m.name().to_owned(), index))?)))
            .collect();
        let origins = per_model.first().map_or(0, |(_, list)| list.len());
        let chosen: Vec<Option<Error>> = (0..origins)
            .map(|origin| {
                let best = best_before(&per_model, origin);
                per_model
                    .iter()
                    .find(|(name, _)| *name == best)
                    .and_then(|(_, list)| list[origin])
            })
            .collect();
        errors.insert(("chosen".to_owned(), index), chosen);
    }
}

/// The model with the lowest MAPE over origins before `origin`;
/// seasonal-naive until enough have been scored.
fn best_before(per_model: &[(&'static str, &Vec<Option<Error>>)], origin: usize) -> &'static str {
    let mut best = (Model::SeasonalNaive.name(), f64::INFINITY);
    for (name, list) in per_model {
        let apes: Vec<f64> = list[..origin]
            .iter()
            .flatten()
            .filter_map(|e| e.ape)
            .collect();
        if apes.len() < CHOOSE_AFTER_ORIGINS {
            return Model::SeasonalNaive.name();
        }
        let mape = apes.iter().sum::<f64>() / apes.len() as f64;
        if mape < best.1 {
            best = (name, mape);
        }
    }
    best.0
}

/// Scores from errors, with each model's MAPE over seasonal-naive's.
fn scores(errors: &Errors, plan: &EvalPlan) -> Vec<Score> {
    let mut out: Vec<Score> = Vec::new();
    for ((model, index), list) in errors {
        let scored: Vec<Error> = list.iter().flatten().copied().collect();
        let apes: Vec<f64> = scored.iter().filter_map(|e| e.ape).collect();
        out.push(Score {
            model: model.clone(),
            horizon_steps: plan.horizons_steps[*index],
            mape_pct: 100.0 * mean(&apes),
            mase: mean(&scored.iter().map(|e| e.ase).collect::<Vec<_>>()),
            coverage: mean(
                &scored
                    .iter()
                    .map(|e| f64::from(u8::from(e.inside)))
                    .collect::<Vec<_>>(),
            ),
            scored: scored.len(),
            vs_seasonal_naive: f64::NAN,
        });
    }
    for index in 0..out.len() {
        let baseline = out
            .iter()
            .find(|s| {
                s.model == Model::SeasonalNaive.name()
                    && s.horizon_steps == out[index].horizon_steps
            })
            .map_or(f64::NAN, |s| s.mape_pct);
        out[index].vs_seasonal_naive = out[index].mape_pct / baseline;
    }
    out.sort_by(|a, b| (a.horizon_steps, &a.model).cmp(&(b.horizon_steps, &b.model)));
    out
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        f64::NAN
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // On a daily shape whose level doubled a week ago, the live choice
    // prefers a model that follows the new level to seasonal-naive, and a
    // series too short to test has no choice.
    #[test]
    fn a_live_choice_follows_the_backtest() {
        let values: Vec<Option<f64>> = (0..24 * 7 * 6)
            .map(|t| {
                let shape = 100.0 + 50.0 * ((t % 24) as f64 / 4.0).sin().abs();
                let level = if t >= 24 * 7 * 5 { 2.0 } else { 1.0 };
                Some((shape * level).round())
            })
            .collect();
        let series = Series {
            start_local_s: 0,
            step_s: 3_600,
            values,
        };

        let choice = choose(&series, &Calendar::default(), 1).unwrap();

        assert_ne!(choice.model, Model::SeasonalNaive, "{choice:?}");
        assert!(
            choice.mape_pct < choice.seasonal_naive_mape_pct,
            "{choice:?}"
        );
        assert_eq!(choice.scored, CHOICE_ORIGINS);
        assert!(choose(&series.window(0, 24 * 14), &Calendar::default(), 1).is_none());
    }

    // A weekly pattern growing 1 % a week: seasonal-naive is about 1 % off,
    // and every model is scored at every origin and horizon.
    #[test]
    fn a_repeating_week_scores_every_model_at_every_horizon() {
        // A weekly shape growing 1 % a week.
        let values: Vec<Option<f64>> = (0..24 * 7 * 12)
            .map(|t| {
                let shape = 100.0 + 50.0 * ((t % 168) as f64 / 10.0).sin().abs();
                Some((shape * 1.01_f64.powi(t / 168)).round())
            })
            .collect();
        let series = BTreeMap::from([(
            "s".to_owned(),
            Series {
                start_local_s: 0,
                step_s: 3_600,
                values,
            },
        )]);
        let plan = EvalPlan {
            origin_every_steps: 97,
            ..EvalPlan::hourly()
        };

        let report = evaluate(&series, &plan, &Calendar::default());

        assert_eq!(report.series[0].origins, 6);
        assert_eq!(report.pooled.len(), 3 * (Model::ALL.len() + 1));
        let naive: Vec<&Score> = report
            .pooled
            .iter()
            .filter(|s| s.model == "seasonal-naive")
            .collect();
        assert!(
            naive.iter().all(|s| (0.5..1.5).contains(&s.mape_pct)),
            "{naive:?}"
        );
        assert!(report.pooled.iter().all(|s| s.scored == 6), "{report:?}");
    }
}
