//! The replay's plot: for each policy, the share of police responses on
//! scene within t seconds, t from 0 to 10 minutes, with the ring targets
//! marked. Hand-written SVG, no dependency.

use std::fmt::Write as _;

use super::ReplayReport;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 420.0;
const MARGIN: f64 = 56.0;
const SECONDS_SHOWN: f64 = 600.0;
const COLOURS: [&str; 3] = ["#d1495b", "#00798c", "#edae49"];

/// The plot's frame: where a time and a share land.
struct Frame {
    plot_w: f64,
    plot_h: f64,
}

impl Frame {
    fn x(&self, seconds: f64) -> f64 {
        MARGIN + self.plot_w * (seconds.min(SECONDS_SHOWN) / SECONDS_SHOWN)
    }

    fn y(&self, share: f64) -> f64 {
        HEIGHT - MARGIN - self.plot_h * share
    }
}

/// The plot as a standalone SVG document.
pub(super) fn cdf(report: &ReplayReport) -> String {
    let frame = Frame {
        plot_w: WIDTH - 2.0 * MARGIN,
        plot_h: HEIGHT - 2.0 * MARGIN,
    };
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"##
    );
    let _ = write!(
        out,
        r##"<rect width="100%" height="100%" fill="white"/><text x="{MARGIN}" y="24" font-size="14">Police responses on scene within t: {} from {}, {} min, seed {}, rate x{}</text>"##,
        report.profile, report.start, report.minutes, report.seed, report.rate_scale
    );
    axes(&mut out, &frame);
    curves(&mut out, &frame, report);
    let _ = write!(
        out,
        r##"<text x="{0}" y="{1}" text-anchor="middle">t, minutes from report</text></svg>"##,
        MARGIN + frame.plot_w / 2.0,
        HEIGHT - 12.0
    );
    out
}

/// Grid lines every minute and quarter, and the targets dashed.
fn axes(out: &mut String, frame: &Frame) {
    for step in 0..=10 {
        let seconds = f64::from(step) * 60.0;
        let _ = write!(
            out,
            r##"<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#ddd"/><text x="{0}" y="{3}" text-anchor="middle">{4}</text>"##,
            frame.x(seconds),
            frame.y(0.0),
            frame.y(1.0),
            frame.y(0.0) + 16.0,
            step
        );
    }
    for step in 0..=4 {
        let share = f64::from(step) / 4.0;
        let _ = write!(
            out,
            r##"<line x1="{0}" y1="{2}" x2="{1}" y2="{2}" stroke="#ddd"/><text x="{3}" y="{4}" text-anchor="end">{5}%</text>"##,
            frame.x(0.0),
            frame.x(SECONDS_SHOWN),
            frame.y(share),
            frame.x(0.0) - 6.0,
            frame.y(share) + 4.0,
            step * 25
        );
    }
    for (seconds, label) in [
        (60.0, "60 s"),
        (180.0, "ring 4: 3 min"),
        (300.0, "ring 3: 5 min"),
    ] {
        let _ = write!(
            out,
            r##"<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#888" stroke-dasharray="4 3"/><text x="{3}" y="{4}">{label}</text>"##,
            frame.x(seconds),
            frame.y(0.0),
            frame.y(1.0),
            frame.x(seconds) + 4.0,
            frame.y(1.0) + 14.0
        );
    }
}

/// One distribution per policy, police rings only.
fn curves(out: &mut String, frame: &Frame, report: &ReplayReport) {
    for (index, policy) in report.policies.iter().enumerate() {
        let mut times: Vec<f64> = policy
            .responses
            .iter()
            .filter(|r| r.ring.number() >= 3)
            .map(|r| f64::from(r.response_s))
            .collect();
        times.sort_by(f64::total_cmp);
        let count = times.len().max(1) as f64;
        let mut points = format!("{},{}", frame.x(0.0), frame.y(0.0));
        for (rank, seconds) in times.iter().enumerate() {
            let _ = write!(
                points,
                " {:.1},{:.1}",
                frame.x(*seconds),
                frame.y((rank + 1) as f64 / count)
            );
        }
        let colour = COLOURS[index % COLOURS.len()];
        let _ = write!(
            out,
            r##"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/><text x="{0}" y="{1}" fill="{colour}">{2:?}</text>"##,
            frame.x(SECONDS_SHOWN) - 220.0,
            frame.y(0.0) - 20.0 - 16.0 * index as f64,
            policy.policy
        );
    }
}
