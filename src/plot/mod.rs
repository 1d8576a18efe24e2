//! Plots of a gradient-descent run: the loss curve and, for two params, the loss
//! landscape with the descent path over it.
//!
//! [`write_plot`] draws one picture and writes it as SVG or PNG (the extension of the
//! path decides), atomically: a temp file in the same directory, then a rename, so a
//! reader never sees half a plot and a failed run never leaves one behind (a device
//! such as `/dev/null` is written in place, see [`crate::files`]). [`render_plot`]
//! gives the bytes instead, and [`check_plot_path`] checks a path before a run.
//!
//! - The left panel is the [`LossCurve`]: loss against epoch on a log-scale y axis.
//! - With a [`Landscape`], a right panel shows the loss over a grid of two params as
//!   filled bands between log-spaced levels, the isolines of those levels (marching
//!   squares, `contour.rs`, since plotters has no contour primitive), and the descent
//!   path on top: a line with a marker per recorded epoch, a circle at the start and a
//!   cross at the end, and a legend. [`grid_around`] chooses a grid that frames a path.
//!
//! Nothing here panics on what a run can produce: NaN and infinite losses leave gaps,
//! losses `<= 0` are clamped to the bottom of the log axis, an empty curve draws empty
//! axes, and all-equal or huge coordinates still give finite, non-empty axis ranges.
//!
//! # Font
//!
//! Text is rendered with an embedded subset of DejaVu Sans (`DejaVuSans-subset.ttf`,
//! 27 KB: Basic Latin, Latin-1, Greek and a few math signs, no hinting), so PNGs get
//! their labels on machines without system fonts. DejaVu fonts are derived from
//! Bitstream Vera and are free to use, modify and redistribute under the Bitstream Vera
//! license (modified versions must not be named "Bitstream" or "Vera"); see
//! <https://dejavu-fonts.github.io/License.html>. SVG output names the `sans-serif`
//! family and leaves the glyphs to the viewer.

mod axes;
mod contour;
mod curve;
mod landscape;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// The loss per epoch of a run; `epochs[k]` pairs with `losses[k]` (extra entries of the
/// longer vector are ignored).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LossCurve {
    /// The epoch numbers, usually `0, 1, 2, ...` or every `k`-th epoch.
    pub epochs: Vec<usize>,
    /// The loss at each epoch; NaN and infinite values leave a gap in the line.
    pub losses: Vec<f64>,
}

/// The loss over a grid of two params, and the descent path over it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Landscape {
    /// The two params, used as axis labels (first = x axis, second = y axis).
    pub names: [String; 2],
    /// Grid coordinates of the first param, strictly increasing, at least two.
    pub xs: Vec<f64>,
    /// Grid coordinates of the second param, strictly increasing, at least two.
    pub ys: Vec<f64>,
    /// Row-major: `loss[j * xs.len() + i]` is the loss at `(xs[i], ys[j])`; may hold NaN
    /// or infinity where the loss is undefined (those cells are drawn light grey).
    pub loss: Vec<f64>,
    /// The params at each recorded epoch, start first; non-finite points are skipped.
    pub path: Vec<(f64, f64)>,
}

/// Why a plot could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The path does not end in `.svg` or `.png`; usually a typo in `--plot`.
    #[error("cannot plot to `{}`: --plot takes a .svg or .png file", path.display())]
    UnsupportedExtension {
        /// The path as given.
        path: PathBuf,
    },
    /// Creating, writing or renaming the file failed; usually a missing directory or
    /// no write permission there.
    #[error("cannot write the plot to `{}`: {source}", path.display())]
    Io {
        /// The file that was to be written.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The landscape's `loss` does not have `xs.len() * ys.len()` entries; usually the
    /// grid was evaluated with other dimensions than it reports.
    #[error("the landscape has {found} loss values for a {nx} x {ny} grid")]
    GridShape {
        /// `xs.len()`.
        nx: usize,
        /// `ys.len()`.
        ny: usize,
        /// `loss.len()`.
        found: usize,
    },
    /// `xs` or `ys` has fewer than two points, or is not strictly increasing or finite;
    /// usually a grid built by hand rather than by [`grid_around`].
    #[error("the landscape's grid must be at least 2 x 2, finite and strictly increasing")]
    BadGrid,
    /// The embedded font could not be loaded; a corrupted build, not bad input.
    #[error("the embedded font could not be loaded")]
    Font,
    /// plotters failed while drawing or encoding; usually out of memory or a plotters
    /// bug, since the inputs are sanitised before they reach it.
    #[error("drawing the plot failed: {0}")]
    Draw(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Writes the plot to `path`; the format follows the extension (`.svg` or `.png`, any
/// case). The file is written atomically (a temp file in the same directory, then a
/// rename), replacing an existing file.
///
/// The picture is 700 x 500 pixels with the loss curve only, and 1200 x 500 with a
/// landscape panel beside it.
pub fn write_plot(
    path: &Path,
    title: &str,
    curve: &LossCurve,
    landscape: Option<&Landscape>,
) -> Result<(), PlotError> {
    let bytes = render_plot(path, title, curve, landscape)?;
    write_atomic(path, &bytes)
}

/// `Err` when [`write_plot`] could not draw to `path`: its extension is not `.svg` or
/// `.png`. A command checks this before a run, so a typo costs no descent.
pub fn check_plot_path(path: &Path) -> Result<(), PlotError> {
    Format::of(path).map(|_| ())
}

/// The bytes [`write_plot`] writes to `path` (whose extension picks the format).
pub fn render_plot(
    path: &Path,
    title: &str,
    curve: &LossCurve,
    landscape: Option<&Landscape>,
) -> Result<Vec<u8>, PlotError> {
    let format = Format::of(path)?;
    if let Some(landscape) = landscape {
        landscape::validate(landscape)?;
    }
    register_font()?;
    let size = if landscape.is_some() {
        (1200, 500)
    } else {
        (700, 500)
    };
    match format {
        Format::Svg => render_svg(size, title, curve, landscape),
        Format::Png => render_png(size, title, curve, landscape),
    }
}

/// A grid of `steps` points per axis (at least 2) over the bounding box of `path`, with
/// a margin of 15% of the box on each side so the path does not touch the frame.
///
/// A path whose points are all equal along an axis gets a box of half-width
/// `max(1, 10% of |value|)` there; an empty path (or one without finite points) gets
/// `[-1, 1]` on both axes.
pub fn grid_around(path: &[(f64, f64)], steps: usize) -> (Vec<f64>, Vec<f64>) {
    let steps = steps.max(2);
    let xs = axes::linspace(axes::framed(path.iter().map(|p| p.0)), steps);
    let ys = axes::linspace(axes::framed(path.iter().map(|p| p.1)), steps);
    (xs, ys)
}

/// The output formats, chosen by the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Svg,
    Png,
}

impl Format {
    fn of(path: &Path) -> Result<Format, PlotError> {
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match extension.to_ascii_lowercase().as_str() {
            "svg" => Ok(Format::Svg),
            "png" => Ok(Format::Png),
            _ => Err(PlotError::UnsupportedExtension {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// The family name the text styles use; plotters' `FontFamily::SansSerif` maps to it.
///
/// Every text size in this module is even: plotters' ab_glyph renderer puts a glyph's
/// top at `size / 2 + top offset`, truncated to a pixel, so at odd sizes a period or a
/// minus sign lands a pixel off the digits around it.
const FONT_FAMILY: &str = "sans-serif";
static FONT: &[u8] = include_bytes!("DejaVuSans-subset.ttf");

/// Registers the embedded font once per process (plotters keeps a global font table).
fn register_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok()
    });
    if ok { Ok(()) } else { Err(PlotError::Font) }
}

fn render_svg(
    size: (u32, u32),
    title: &str,
    curve: &LossCurve,
    landscape: Option<&Landscape>,
) -> Result<Vec<u8>, PlotError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root, title, curve, landscape)?;
        root.present().map_err(draw_error)?;
    }
    Ok(svg.into_bytes())
}

fn render_png(
    size: (u32, u32),
    title: &str,
    curve: &LossCurve,
    landscape: Option<&Landscape>,
) -> Result<Vec<u8>, PlotError> {
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw(&root, title, curve, landscape)?;
        root.present().map_err(draw_error)?;
    }
    // Encoding in memory (rather than letting the backend save a file) keeps the file
    // write, and its errors, in `write_atomic`.
    let image = image::RgbImage::from_raw(size.0, size.1, rgb)
        .ok_or_else(|| draw_error("the pixel buffer does not match the picture size"))?;
    let mut png = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut png, image::ImageOutputFormat::Png)
        .map_err(draw_error)?;
    Ok(png.into_inner())
}

/// Draws the title and the panels on any backend.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    curve: &LossCurve,
    landscape: Option<&Landscape>,
) -> Result<(), PlotError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_error)?;
    let body = root.titled(title, (FONT_FAMILY, 24)).map_err(draw_error)?;
    match landscape {
        None => curve::draw_curve(&body, curve),
        Some(landscape) => {
            let (left, right) = body.split_horizontally(560);
            curve::draw_curve(&left, curve)?;
            landscape::draw_landscape(&right, landscape)
        }
    }
}

/// Wraps any plotters (or image) error as [`PlotError::Draw`].
fn draw_error<E: Into<Box<dyn std::error::Error + Send + Sync>>>(error: E) -> PlotError {
    PlotError::Draw(error.into())
}

/// [`crate::files::write_atomic`], its I/O error naming `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    crate::files::write_atomic(path, bytes).map_err(|source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    })
}
