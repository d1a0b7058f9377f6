//! The rolling series of one metric as an inline SVG line chart: one line per series, the
//! limit as a dashed red line, the current window as a dot. Coordinates are written with one
//! decimal, so the same series give the same bytes.

use maud::{html, Markup};
use orderhealth_core::timestamp::date_of;

/// One line of a chart: a rate per window end day; `None` (no orders in the window) breaks
/// the line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(i32, Option<f64>)>,
}

/// The chart of one metric in one marketplace.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    /// The limit as a fraction (0.025 for 2.5 %).
    pub threshold: f64,
    /// Valid tracking must stay above its line; the other metrics below it.
    pub higher_is_better: bool,
    pub series: Vec<Series>,
}

const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 150.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 22.0;

/// Line colours, each with its own dash pattern so a black-and-white print still tells the
/// lines apart.
const PENS: &[(&str, &str)] = &[
    ("#1f5fa8", ""),
    ("#c2410c", "6 3"),
    ("#047857", "2 2"),
    ("#6d28d9", "8 3 2 3"),
    ("#4b5563", "1 3"),
    ("#a16207", "10 4"),
];

/// The pen of the n-th series.
pub fn pen(n: usize) -> (&'static str, &'static str) {
    PENS[n % PENS.len()]
}

impl Chart {
    /// The rates drawn, all series together.
    fn rates(&self) -> impl Iterator<Item = f64> + '_ {
        self.series.iter().flat_map(|s| s.points.iter().filter_map(|(_, r)| *r))
    }

    /// First and last window end day of any series.
    fn day_range(&self) -> Option<(i32, i32)> {
        let days = self.series.iter().flat_map(|s| s.points.iter().map(|(d, _)| *d));
        let (lo, hi) = days.fold((i32::MAX, i32::MIN), |(lo, hi), d| (lo.min(d), hi.max(d)));
        (lo <= hi).then_some((lo, hi))
    }

    /// The rate axis: from 0 up to a round value above both the data and twice the limit
    /// (lower is better), or from a round value below the data and the limit up to 100 %.
    pub fn rate_range(&self) -> (f64, f64) {
        if self.higher_is_better {
            let low = self.rates().fold(self.threshold - 0.04, f64::min);
            let floor = [0.9, 0.8, 0.75, 0.5, 0.25].into_iter().find(|f| *f <= low).unwrap_or(0.0);
            (floor, 1.0)
        } else {
            let high = self.rates().fold(self.threshold * 2.0, f64::max);
            let ceiling = [0.05, 0.1, 0.2, 0.25, 0.5].into_iter().find(|c| *c >= high).unwrap_or(1.0);
            (0.0, ceiling)
        }
    }

    /// A chart has data when some window has a rate.
    pub fn has_data(&self) -> bool {
        self.rates().next().is_some()
    }
}

/// `0.025` → `2.5%`; whole percentages without decimals.
fn axis_percent(v: f64) -> String {
    let p = v * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// Pixel coordinates of a chart.
struct Frame {
    days: (i32, i32),
    rates: (f64, f64),
}

impl Frame {
    fn x(&self, day: i32) -> f64 {
        let width = WIDTH - LEFT - RIGHT;
        let (d0, d1) = self.days;
        if d1 == d0 {
            return LEFT + width / 2.0;
        }
        LEFT + f64::from(day - d0) / f64::from(d1 - d0) * width
    }

    fn y(&self, rate: f64) -> f64 {
        let (lo, hi) = self.rates;
        let height = HEIGHT - TOP - BOTTOM;
        TOP + (1.0 - (rate.clamp(lo, hi) - lo) / (hi - lo)) * height
    }

    /// An SVG path: a run of windows with a rate is one stroke; a window without one breaks it.
    fn path(&self, points: &[(i32, Option<f64>)]) -> String {
        let mut d = String::new();
        let mut pen_down = false;
        for (day, rate) in points {
            match rate {
                Some(r) => {
                    let command = if pen_down { 'L' } else { 'M' };
                    if !d.is_empty() {
                        d.push(' ');
                    }
                    d.push_str(&format!("{command}{:.1} {:.1}", self.x(*day), self.y(*r)));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        d
    }
}

/// The chart as inline SVG markup.
pub fn render(chart: &Chart) -> Markup {
    let Some(days) = chart.day_range() else {
        return html! { p.empty { "No window to draw." } };
    };
    let frame = Frame { days, rates: chart.rate_range() };
    let (lo, hi) = frame.rates;
    let bottom = HEIGHT - BOTTOM;
    let right = WIDTH - RIGHT;
    let limit_y = frame.y(chart.threshold);
    html! {
        svg.chart viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(chart.title) {
            title { (chart.title) }
            rect x=(LEFT) y=(TOP) width=(right - LEFT) height=(bottom - TOP) fill="#f8fafc" stroke="#cbd5e1" {}
            // The axis ends are labelled unless the limit's label would overlap them.
            @if limit_y - TOP > 9.0 { text x=(LEFT - 4.0) y=(TOP + 4.0) text-anchor="end" { (axis_percent(hi)) } }
            @if bottom - limit_y > 9.0 { text x=(LEFT - 4.0) y=(bottom) text-anchor="end" { (axis_percent(lo)) } }
            line x1=(LEFT) x2=(right) y1={ (format!("{limit_y:.1}")) } y2={ (format!("{limit_y:.1}")) }
                stroke="#dc2626" stroke-width="1.2" stroke-dasharray="5 3" {}
            text.limit x=(LEFT - 4.0) y={ (format!("{:.1}", limit_y + 3.5)) } text-anchor="end" { (axis_percent(chart.threshold)) }
            text x=(LEFT) y=(HEIGHT - 6.0) { (date_of(days.0)) }
            text x=(right) y=(HEIGHT - 6.0) text-anchor="end" { (date_of(days.1)) }
            @for (n, series) in chart.series.iter().enumerate() {
                @let (colour, dashes) = pen(n);
                path d=(frame.path(&series.points)) fill="none" stroke=(colour) stroke-width="1.6"
                    stroke-dasharray=[(!dashes.is_empty()).then_some(dashes)] {}
                // The current window (the last one with a rate) as a dot.
                @if let Some((day, Some(rate))) = series.points.iter().rev().find(|(_, r)| r.is_some()) {
                    circle cx={ (format!("{:.1}", frame.x(*day))) } cy={ (format!("{:.1}", frame.y(*rate))) } r="2.5" fill=(colour) {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(points: Vec<(i32, Option<f64>)>, higher_is_better: bool) -> Chart {
        Chart {
            title: "t".into(),
            threshold: if higher_is_better { 0.95 } else { 0.025 },
            higher_is_better,
            series: vec![Series { name: "s".into(), points }],
        }
    }

    #[test]
    fn a_window_without_orders_breaks_the_line() {
        let c = chart(vec![(0, Some(0.0)), (1, Some(0.05)), (2, None), (3, Some(0.05))], false);
        let frame = Frame { days: (0, 3), rates: c.rate_range() };
        // The axis runs to 5% (twice the 2.5% limit and the data's highest), 118 px tall.
        assert_eq!(frame.path(&c.series[0].points), "M40.0 128.0 L143.3 10.0 M350.0 10.0");
    }

    #[test]
    fn the_rate_axis_keeps_the_limit_and_the_data_in_view() {
        assert_eq!(chart(vec![(0, Some(0.01))], false).rate_range(), (0.0, 0.05));
        assert_eq!(chart(vec![(0, Some(0.3))], false).rate_range(), (0.0, 0.5));
        assert_eq!(chart(vec![(0, Some(1.0))], false).rate_range(), (0.0, 1.0));
        assert_eq!(chart(vec![(0, Some(0.99))], true).rate_range(), (0.9, 1.0));
        assert_eq!(chart(vec![(0, Some(0.6))], true).rate_range(), (0.5, 1.0));
        assert_eq!(chart(vec![(0, Some(0.0))], true).rate_range(), (0.0, 1.0));
    }

    #[test]
    fn one_window_is_drawn_in_the_middle_with_its_dot() {
        let svg = render(&chart(vec![(20000, Some(0.0))], false)).into_string();
        assert!(svg.contains(r#"<path d="M195.0 128.0""#), "{svg}");
        assert!(svg.contains(r#"<circle cx="195.0" cy="128.0""#), "{svg}");
        assert!(svg.contains("2024-10-04"), "{svg}");
    }

    #[test]
    fn axis_labels_read_as_percentages() {
        assert_eq!(axis_percent(0.025), "2.5%");
        assert_eq!(axis_percent(0.95), "95%");
        assert_eq!(axis_percent(0.0), "0%");
    }
}
