//! The loss-curve panel: loss against epoch on a log-scale y axis.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{FONT_FAMILY, LossCurve, PlotError, axes, draw_error};

/// The colour of the loss line (matplotlib's first colour, a familiar blue).
const LINE: RGBColor = RGBColor(31, 119, 180);

/// Draws `curve` into `area`.
///
/// Losses `<= 0` are clamped to the bottom of the log axis (the lowest whole decade
/// below the smallest positive loss), so a run that reaches zero shows a line that
/// drops to the axis instead of a gap. NaN and infinite losses are dropped and break
/// the line, since no height on the axis would be true for them.
pub(super) fn draw_curve<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    curve: &LossCurve,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    let points: Vec<(usize, f64)> = curve
        .epochs
        .iter()
        .copied()
        .zip(curve.losses.iter().copied())
        .collect();
    let x_range = axes::linear(points.iter().map(|p| p.0 as f64));
    // No more ticks than whole epochs, so that every tick is an integer.
    let x_span = x_range.end - x_range.start;
    let x_ticks = (x_span as usize).saturating_add(1).min(10);
    let y_range = axes::log_decades(points.iter().map(|p| p.1));
    let (floor, ceiling) = (y_range.start, y_range.end);

    let mut chart = ChartBuilder::on(area)
        .caption("loss per epoch", (FONT_FAMILY, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x_range, y_range.log_scale())
        .map_err(draw_error)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("loss (log scale)")
        .x_labels(x_ticks)
        .x_label_formatter(&|x| axes::tick_label(*x, x_span))
        .y_label_formatter(&|y| log_label(*y))
        .label_style((FONT_FAMILY, 14))
        .axis_desc_style((FONT_FAMILY, 16))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(draw_error)?;

    for run in finite_runs(&points) {
        let run: Vec<(f64, f64)> = run
            .iter()
            .map(|&(epoch, loss)| (epoch as f64, loss.clamp(floor, ceiling)))
            .collect();
        // A run of one point draws no line; a dot keeps it visible.
        if let [point] = run[..] {
            let dot = Circle::new(point, 3, LINE.filled());
            chart
                .draw_series(std::iter::once(dot))
                .map_err(draw_error)?;
        } else {
            let line = LineSeries::new(run, LINE.stroke_width(2));
            chart.draw_series(line).map_err(draw_error)?;
        }
    }
    Ok(())
}

/// A log-axis tick as `1e-5` or `2e-5`: plotters steps between ticks by repeated
/// multiplication, so a tick meant as `1e-5` arrives as `9.999999999e-6`.
fn log_label(value: f64) -> String {
    let exponent = value.log10().floor();
    let mantissa = (value / 10f64.powf(exponent) * 10.0).round() / 10.0;
    if mantissa >= 10.0 {
        format!("1e{}", exponent + 1.0)
    } else {
        format!("{mantissa}e{exponent}")
    }
}

/// The maximal runs of consecutive points with a finite loss.
fn finite_runs(points: &[(usize, f64)]) -> impl Iterator<Item = &[(usize, f64)]> {
    points
        .split(|p| !p.1.is_finite())
        .filter(|run| !run.is_empty())
}

#[cfg(test)]
mod tests {
    use super::log_label;

    #[test]
    fn log_labels_are_rounded() {
        assert_eq!(log_label(9.999999999e-6), "1e-5");
        assert_eq!(log_label(1.0000001e-5), "1e-5");
        assert_eq!(log_label(2.0000001e3), "2e3");
        assert_eq!(log_label(1.0), "1e0");
    }
}
