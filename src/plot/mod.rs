//! Pictures of data and of a run, as PNG or SVG.
//!
//! - [`DigitGrid`]: a 10x10 grid of images with each label in a corner, as the original post shows;
//! - [`ConfusionHeatmap`]: the strict-rule confusion matrix (with the -1 "no digit" class);
//! - [`Curves`]: loss and validation accuracy per epoch, with the kept epoch marked;
//! - [`Mistakes`]: the misclassified test images, each titled `true -> predicted (p)`;
//! - [`WeightGrid`]: each hidden unit's incoming weights as an image of the input's shape;
//! - [`NumberPicture`]: a photo of a number with each digit's box and the reading.
//!
//! Text is drawn with DejaVu Sans, embedded in the binary and registered with plotters'
//! `ab_glyph` font table, so pictures render on a machine with no fonts installed (no
//! font-kit, fontconfig or freetype). PNGs are drawn into an RGB buffer and encoded
//! with `image`; SVGs are plotters' own output.

mod colors;
mod confusion;
mod curves;
mod digits;
mod mistakes;
mod number;
mod raster;
mod weights;

pub use confusion::ConfusionHeatmap;
pub use curves::Curves;
pub use digits::DigitGrid;
pub use mistakes::{Mistake, Mistakes, misclassified};
pub use number::NumberPicture;
pub use weights::WeightGrid;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor;

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::experiment::Run;

/// What drawing on a plotters area returns.
pub type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A picture: its size and how to draw it on any plotters backend.
pub trait Picture {
    /// A short name for error messages ("confusion", "digits"...).
    fn name(&self) -> &'static str;
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the whole picture on `root`, which has [`Picture::size`].
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// The family every picture's text uses; [`register_font`] fills it.
pub(crate) const FONT: &str = "sans-serif";

/// DejaVu Sans, Bitstream Vera licence (assets/fonts/LICENSE-DejaVu.txt).
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font as plotters' "sans-serif" (once per process).
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            if plotters::style::register_font(FONT, style, DEJAVU_SANS).is_err() {
                unreachable!("the embedded DejaVu Sans is a valid TrueType font");
            }
        }
    });
}

/// An RGB picture in memory, row-major, 3 bytes per pixel.
#[derive(Clone, Debug, PartialEq)]
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Rgb {
    /// The colour at `(x, y)`.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = 3 * (y as usize * self.width as usize + x as usize);
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }

    /// The colour at a point given as a pair (what test helpers compute).
    pub fn pixel_at(&self, (x, y): (u32, u32)) -> [u8; 3] {
        self.pixel(x, y)
    }

    /// Encodes the picture as PNG.
    pub fn to_png(&self) -> Result<Vec<u8>> {
        use image::ImageEncoder;
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(
                &self.pixels,
                self.width,
                self.height,
                image::ExtendedColorType::Rgb8,
            )
            .map_err(|e| Error::Draw {
                picture: "png".into(),
                message: e.to_string(),
            })?;
        Ok(out)
    }
}

fn draw_error(picture: &str, e: impl fmt::Display) -> Error {
    Error::Draw {
        picture: picture.into(),
        message: e.to_string(),
    }
}

/// Draws `picture` into an RGB buffer.
pub fn render_rgb(picture: &impl Picture) -> Result<Rgb> {
    register_font();
    let (width, height) = picture.size();
    let mut pixels = vec![255u8; 3 * width as usize * height as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        picture
            .draw(&root)
            .map_err(|e| draw_error(picture.name(), e))?;
        root.present().map_err(|e| draw_error(picture.name(), e))?;
    }
    Ok(Rgb {
        width,
        height,
        pixels,
    })
}

/// Draws `picture` as an SVG document.
pub fn render_svg(picture: &impl Picture) -> Result<String> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, picture.size()).into_drawing_area();
        picture
            .draw(&root)
            .map_err(|e| draw_error(picture.name(), e))?;
        root.present().map_err(|e| draw_error(picture.name(), e))?;
    }
    Ok(svg)
}

/// Draws `picture` in `format`, as the bytes of a file.
pub fn render(picture: &impl Picture, format: Format) -> Result<Vec<u8>> {
    match format {
        Format::Png => render_rgb(picture)?.to_png(),
        Format::Svg => Ok(render_svg(picture)?.into_bytes()),
    }
}

/// Draws `picture` and writes it to `path` whole (temporary file, then rename).
pub fn save(picture: &impl Picture, format: Format, path: &Path) -> Result<()> {
    crate::atomic::write(path, &render(picture, format)?)
}

/// A picture file format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    #[default]
    Png,
    Svg,
}

impl Format {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}

/// The pictures digitnet draws, named as their files are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::Display)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[strum(serialize_all = "lowercase")]
pub enum Kind {
    Digits,
    Confusion,
    Curves,
    Mistakes,
    Weights,
}

impl Kind {
    /// Every kind, in the order `train --out` writes them.
    pub const ALL: [Kind; 5] = [
        Kind::Digits,
        Kind::Confusion,
        Kind::Curves,
        Kind::Mistakes,
        Kind::Weights,
    ];

    /// Whether drawing it needs a trained network (everything but the digit grid).
    pub fn needs_run(self) -> bool {
        self != Kind::Digits
    }

    /// The file name it gets in a folder: `confusion.png`...
    pub fn file_name(self, format: Format) -> String {
        format!("{self}.{}", format.extension())
    }
}

/// Draws picture `kind` of a finished `run` in `format`. `data` is the whole data
/// set the run split (the digit grid shows its first 100 images, as the post did).
pub fn render_run(kind: Kind, run: &Run, data: &Dataset, format: Format) -> Result<Vec<u8>> {
    match kind {
        Kind::Digits => render(&DigitGrid::first(data, 100), format),
        Kind::Confusion => render(&ConfusionHeatmap::new(&run.summary.confusion), format),
        Kind::Curves => render(&Curves::of_run(&run.summary), format),
        Kind::Mistakes => render(
            &Mistakes::new(&run.test, &run.evaluation.probabilities),
            format,
        ),
        Kind::Weights => render(&WeightGrid::first_layer(&run.trained.net, data)?, format),
    }
}

/// Writes every picture of `run` into `dir` (created if missing), named by
/// [`Kind::file_name`]; returns the files written.
pub fn save_run(run: &Run, data: &Dataset, dir: &Path, format: Format) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    Kind::ALL
        .into_iter()
        .map(|kind| {
            let path = dir.join(kind.file_name(format));
            crate::atomic::write(&path, &render_run(kind, run, data, format)?)?;
            Ok(path)
        })
        .collect()
}

/// A text style in the embedded font.
pub(crate) fn text(size: f64, color: RGBColor) -> TextStyle<'static> {
    FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Normal).color(&color)
}

/// A picture's title, centred across `width` at height `y`.
pub(crate) fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    (width, y): (u32, i32),
    size: f64,
) -> DrawResult<DB> {
    let centre = text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Center);
    let style = text(size, colors::INK).pos(centre);
    root.draw(&Text::new(title.to_string(), (width as i32 / 2, y), style))
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_named_as_their_files() {
        let names: Vec<String> = Kind::ALL.iter().map(Kind::to_string).collect();
        assert_eq!(
            names,
            ["digits", "confusion", "curves", "mistakes", "weights"]
        );
        assert_eq!(Kind::Weights.file_name(Format::Svg), "weights.svg");
    }

    #[test]
    fn no_system_font_library_is_linked() {
        // The `ttf` feature of plotters would bring font-kit, which reads system fonts.
        let lock = include_str!("../../Cargo.lock");
        for name in [
            "font-kit",
            "fontconfig",
            "freetype",
            "yeslogic-fontconfig-sys",
        ] {
            assert!(
                !lock.contains(&format!("name = \"{name}\"")),
                "{name} is in Cargo.lock: pictures must use only the embedded font"
            );
        }
    }
}
