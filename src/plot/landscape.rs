//! The landscape panel: filled loss bands, isolines on log-spaced levels, and the
//! descent path over them.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::contour::{self, Levels};
use super::{FONT_FAMILY, Landscape, PlotError, axes, draw_error};

/// The chart type of the panel: plain f64 axes for both params.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Cells where the loss is undefined (NaN or infinite).
const UNDEFINED: RGBColor = RGBColor(225, 225, 225);
const ISOLINE: RGBColor = RGBColor(60, 60, 60);
const PATH: RGBColor = RGBColor(214, 39, 40);

/// Checks the grid's shape before anything is drawn.
pub(super) fn validate(landscape: &Landscape) -> Result<(), PlotError> {
    let increasing = |v: &[f64]| {
        v.len() >= 2 && v.iter().all(|x| x.is_finite()) && v.windows(2).all(|w| w[0] < w[1])
    };
    if !increasing(&landscape.xs) || !increasing(&landscape.ys) {
        return Err(PlotError::BadGrid);
    }
    let (nx, ny) = (landscape.xs.len(), landscape.ys.len());
    if nx.checked_mul(ny) != Some(landscape.loss.len()) {
        let found = landscape.loss.len();
        return Err(PlotError::GridShape { nx, ny, found });
    }
    Ok(())
}

/// Draws a validated `landscape` into `area`.
pub(super) fn draw_landscape<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    landscape: &Landscape,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let (x_range, y_range) = ranges(landscape);
    let spans = (x_range.end - x_range.start, y_range.end - y_range.start);
    let corner = legend_corner(&landscape.path, &x_range, &y_range);
    let levels = Levels::of(&landscape.loss);
    let width = area.dim_in_pixel().0;
    let (area, bar) = area.split_horizontally(width.saturating_sub(BAR_WIDTH));
    draw_colour_bar(&bar, &levels)?;

    let mut chart = ChartBuilder::on(&area)
        .caption("loss landscape (log-spaced levels)", (FONT_FAMILY, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x_range, y_range)
        .map_err(draw_error)?;
    chart.plotting_area().fill(&UNDEFINED).map_err(draw_error)?;
    draw_bands(&mut chart, landscape, &levels)?;
    draw_isolines(&mut chart, landscape, &levels)?;
    chart
        .configure_mesh()
        .x_desc(landscape.names[0].as_str())
        .y_desc(landscape.names[1].as_str())
        .label_style((FONT_FAMILY, 14))
        .axis_desc_style((FONT_FAMILY, 16))
        .x_label_formatter(&|x| axes::tick_label(*x, spans.0))
        .y_label_formatter(&|y| axes::tick_label(*y, spans.1))
        .disable_mesh()
        .draw()
        .map_err(draw_error)?;
    draw_path(&mut chart, &landscape.path, corner)
}

/// The width in pixels of the colour bar beside the landscape, its labels included.
const BAR_WIDTH: u32 = 84;
/// The most level values written beside the colour bar (every k-th level beyond).
const BAR_LABELS: usize = 9;

/// The colour bar: each band's colour from the lowest loss (bottom) to the highest,
/// with the loss value of the levels between them written beside it.
fn draw_colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    levels: &Levels,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let finite = levels.field.iter().copied().filter(|v| v.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    if levels.levels.is_empty() || lo >= hi {
        return Ok(());
    }
    let mut chart = ChartBuilder::on(area)
        .margin_top(44)
        .margin_bottom(52)
        .margin_right(BAR_WIDTH as i32 - 22)
        .build_cartesian_2d(0.0..1.0, lo..hi)
        .map_err(draw_error)?;
    let n_bands = levels.levels.len() + 1;
    let edges: Vec<f64> = std::iter::once(lo)
        .chain(levels.levels.iter().map(|l| l.clamp(lo, hi)))
        .chain(std::iter::once(hi))
        .collect();
    let bands = edges.windows(2).enumerate().map(|(band, w)| {
        Rectangle::new(
            [(0.0, w[0]), (1.0, w[1])],
            band_colour(band, n_bands).filled(),
        )
    });
    chart.draw_series(bands).map_err(draw_error)?;
    let frame = Rectangle::new([(0.0, lo), (1.0, hi)], BLACK.stroke_width(1));
    chart.draw_series([frame]).map_err(draw_error)?;
    let every = levels.levels.len().div_ceil(BAR_LABELS).max(1);
    let base = area.get_base_pixel();
    for level in levels.levels.iter().step_by(every) {
        let (x, y) = chart.backend_coord(&(1.0, *level));
        let at = (x - base.0 + 4, y - base.1 - 7);
        let text = Text::new(level_label(*level), at, (FONT_FAMILY, 12));
        area.draw(&text).map_err(draw_error)?;
    }
    let title = Text::new("loss", (4, 24), (FONT_FAMILY, 14));
    area.draw(&title).map_err(draw_error)
}

/// The loss at a `log10` level, as `3.2e-2`.
pub(super) fn level_label(level: f64) -> String {
    let value = 10f64.powf(level);
    let text = format!("{value:.1e}");
    text.replace(".0e", "e")
}

/// The corner of the panel with the fewest path points near it (the upper right on a
/// tie), so the legend covers as little of the path as it can.
fn legend_corner(path: &[(f64, f64)], x: &Range<f64>, y: &Range<f64>) -> SeriesLabelPosition {
    // The legend box covers about this share of the panel's width and height.
    const SHARE: f64 = 0.35;
    let near = |p: &(f64, f64), right: bool, top: bool| {
        let fx = (p.0 - x.start) / (x.end - x.start);
        let fy = (p.1 - y.start) / (y.end - y.start);
        let in_x = if right {
            fx >= 1.0 - SHARE
        } else {
            fx <= SHARE
        };
        let in_y = if top { fy >= 1.0 - SHARE } else { fy <= SHARE };
        in_x && in_y
    };
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let crowding = |(_, right, top): &(SeriesLabelPosition, bool, bool)| {
        path.iter().filter(|p| near(p, *right, *top)).count()
    };
    let best = corners.iter().min_by_key(|c| crowding(c));
    best.map_or(SeriesLabelPosition::UpperRight, |c| c.0.clone())
}

/// The axis ranges: the grid and the whole path, so no part of the path is clipped.
fn ranges(landscape: &Landscape) -> (Range<f64>, Range<f64>) {
    let (xs, ys) = (&landscape.xs, &landscape.ys);
    let path_x = landscape.path.iter().map(|p| p.0);
    let path_y = landscape.path.iter().map(|p| p.1);
    let x_range = axes::linear([xs[0], xs[xs.len() - 1]].into_iter().chain(path_x));
    let y_range = axes::linear([ys[0], ys[ys.len() - 1]].into_iter().chain(path_y));
    (x_range, y_range)
}

/// Fills each grid point's cell (bounded by the midpoints to its neighbours) with the
/// colour of its band; runs of equal bands along a row become one rectangle, which
/// keeps the SVG small.
fn draw_bands<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    landscape: &Landscape,
    levels: &Levels,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let (xs, ys) = (&landscape.xs, &landscape.ys);
    let (x_edges, y_edges) = (cell_edges(xs), cell_edges(ys));
    let n_bands = levels.levels.len() + 1;
    let mut rectangles = Vec::new();
    for j in 0..ys.len() {
        let row = &levels.field[j * xs.len()..(j + 1) * xs.len()];
        let mut start = 0;
        for i in 1..=xs.len() {
            let band = levels.band(row[start]);
            if i < xs.len() && levels.band(row[i]) == band {
                continue;
            }
            if let Some(band) = band {
                let corners = [(x_edges[start], y_edges[j]), (x_edges[i], y_edges[j + 1])];
                rectangles.push(Rectangle::new(corners, band_colour(band, n_bands).filled()));
            }
            start = i;
        }
    }
    chart.draw_series(rectangles).map_err(draw_error)?;
    Ok(())
}

/// The boundaries of the cells around each coordinate: the midpoints between
/// neighbours, and the outer coordinates themselves at both ends.
fn cell_edges(coords: &[f64]) -> Vec<f64> {
    let mids = coords.windows(2).map(|w| w[0] / 2.0 + w[1] / 2.0);
    let first = coords.first().copied();
    let last = coords.last().copied();
    first.into_iter().chain(mids).chain(last).collect()
}

/// Band `band` of `n_bands` on a lightened viridis scale: low loss dark, high loss
/// light, pale enough that the isolines and the red path stay readable on top.
fn band_colour(band: usize, n_bands: usize) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = band as f64 / (n_bands.max(2) - 1) as f64 * (STOPS.len() - 1) as f64;
    let k = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - k as f64;
    let mix = |a: f64, b: f64| {
        let c = a + f * (b - a);
        (0.55 * c + 0.45 * 255.0).round() as u8
    };
    let (a, b) = (STOPS[k], STOPS[k + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn draw_isolines<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    landscape: &Landscape,
    levels: &Levels,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let style = ISOLINE.mix(0.7).stroke_width(1);
    for &level in &levels.levels {
        let segments = contour::isoline(&landscape.xs, &landscape.ys, &levels.field, level);
        let lines = segments
            .into_iter()
            .map(|s| PathElement::new(s.to_vec(), style));
        chart.draw_series(lines).map_err(draw_error)?;
    }
    Ok(())
}

/// The path as a red line with a dot per recorded epoch (broken where a point is not
/// finite), a white circle at the start and a black cross at the end, and the legend
/// of the three.
fn draw_path<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    path: &[(f64, f64)],
    corner: SeriesLabelPosition,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let runs = path.split(|p| !finite(&p)).filter(|run| !run.is_empty());
    for (k, run) in runs.enumerate() {
        let line = LineSeries::new(run.iter().copied(), PATH.stroke_width(2)).point_size(2);
        let drawn = chart.draw_series(line).map_err(draw_error)?;
        if k == 0 {
            drawn
                .label("descent path")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], PATH.stroke_width(2)));
        }
    }
    let Some(&start) = path.iter().find(finite) else {
        // Nothing to mark or label; an empty legend box would only cover the contours.
        return Ok(());
    };
    let circle = Circle::new(start, 6, WHITE.filled());
    chart.draw_series([circle]).map_err(draw_error)?;
    let ring = Circle::new(start, 6, BLACK.stroke_width(2));
    let drawn = chart.draw_series([ring]).map_err(draw_error)?;
    drawn
        .label("start")
        .legend(|(x, y)| Circle::new((x + 10, y), 5, BLACK.stroke_width(2)));
    let end = path.iter().rev().find(finite).copied().unwrap_or(start);
    let cross = Cross::new(end, 7, BLACK.stroke_width(3));
    let drawn = chart.draw_series([cross]).map_err(draw_error)?;
    drawn
        .label("end")
        .legend(|(x, y)| Cross::new((x + 10, y), 5, BLACK.stroke_width(3)));
    chart
        .configure_series_labels()
        .position(corner)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT_FAMILY, 14))
        .draw()
        .map_err(draw_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_goes_to_the_corner_the_path_stays_away_from() {
        let (x, y) = (0.0..10.0, 0.0..10.0);
        // From the upper right down to the lower left: the other corners are free.
        let diagonal: Vec<(f64, f64)> = (0..=10).map(|k| (k as f64, k as f64)).collect();
        let corner = legend_corner(&diagonal, &x, &y);
        assert!(
            matches!(corner, SeriesLabelPosition::UpperLeft),
            "{corner:?}"
        );
        // A path along the top edge leaves the lower corners.
        let top: Vec<(f64, f64)> = (0..=10).map(|k| (k as f64, 9.5)).collect();
        let corner = legend_corner(&top, &x, &y);
        assert!(
            matches!(corner, SeriesLabelPosition::LowerRight),
            "{corner:?}"
        );
    }

    #[test]
    fn level_labels_give_the_loss_not_its_log() {
        assert_eq!(level_label(-2.0), "1e-2");
        assert_eq!(level_label(0.5), "3.2e0");
        assert_eq!(level_label(3.0), "1e3");
    }
}
