//! Reading image files (PNG, JPEG, BMP, GIF, PGM) into a [`Gray`] picture.
//!
//! The size is read from the file's header and checked before anything is
//! decoded, so a 30,000 x 30,000 picture (a few bytes on disk, gigabytes in
//! memory) is refused without allocating it.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Seek};
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageError, ImageReader};

use super::Gray;
use crate::error::{Error, Result};

/// The longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 10_000;

/// The most pixels accepted (a 48-megapixel photo fits).
pub const MAX_PIXELS: u64 = 50_000_000;

/// Reads the image file at `path` as grayscale.
pub fn open(path: &Path) -> Result<Gray> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    decode_from(BufReader::new(file), &path.display().to_string())
}

/// Decodes an image held in memory (an upload, say); `origin` names it in errors.
pub fn decode(bytes: &[u8], origin: &str) -> Result<Gray> {
    decode_from(Cursor::new(bytes), origin)
}

/// Guesses the format from the content, checks the header's size, decodes, and
/// flattens colour and transparency to grey.
fn decode_from(reader: impl BufRead + Seek, origin: &str) -> Result<Gray> {
    let reader = ImageReader::new(reader)
        .with_guessed_format()
        .map_err(|e| Error::data(origin, format!("cannot read the image: {e}")))?;
    if reader.format().is_none() {
        return Err(unsupported(origin));
    }
    let decoder = reader.into_decoder().map_err(|e| image_error(origin, e))?;
    check_size(decoder.dimensions(), origin)?;
    let image = DynamicImage::from_decoder(decoder).map_err(|e| image_error(origin, e))?;
    Ok(to_gray(&image))
}

/// Refuses pictures larger than [`MAX_SIDE`] or [`MAX_PIXELS`].
fn check_size((width, height): (u32, u32), origin: &str) -> Result<()> {
    if width.max(height) > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Error::data(
            origin,
            format!(
                "the image is {width}x{height} pixels, too large to read (at most {MAX_SIDE} pixels a side and {} megapixels); scale it down first",
                MAX_PIXELS / 1_000_000
            ),
        ));
    }
    if width == 0 || height == 0 {
        return Err(Error::data(
            origin,
            format!("the image is {width}x{height} pixels: it has no pixels"),
        ));
    }
    Ok(())
}

fn unsupported(origin: &str) -> Error {
    Error::data(
        origin,
        "not an image this program reads, which should be PNG, JPEG, BMP, GIF or PGM/PNM",
    )
}

fn image_error(origin: &str, e: ImageError) -> Error {
    match e {
        ImageError::Unsupported(_) => unsupported(origin),
        ImageError::Limits(_) => Error::data(
            origin,
            "the image is too large to decode in the memory allowed; scale it down first",
        ),
        other => Error::data(origin, format!("cannot decode the image: {other}")),
    }
}

/// Grey values of `image`, 0.0 black ..= 1.0 white. Transparent pixels are
/// laid on a background that contrasts with the visible ones (white under dark
/// strokes, black under light ones), so a drawing on a transparent canvas keeps
/// its ink whatever colour it was drawn in.
fn to_gray(image: &DynamicImage) -> Gray {
    let la = image.to_luma_alpha32f();
    let (width, height) = (la.width() as usize, la.height() as usize);
    let raw = la.into_raw();
    let pairs = raw.chunks_exact(2);
    let (seen, weight) = pairs.clone().fold((0.0f64, 0.0f64), |(s, w), p| {
        (s + f64::from(p[0] * p[1]), w + f64::from(p[1]))
    });
    let background = if weight > 0.0 && seen / weight > 0.5 {
        0.0
    } else {
        1.0
    };
    let pixels = pairs
        .map(|p| {
            let (luma, alpha) = (p[0].clamp(0.0, 1.0), p[1].clamp(0.0, 1.0));
            luma * alpha + background * (1.0 - alpha)
        })
        .collect();
    Gray {
        width,
        height,
        pixels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgba, RgbaImage};

    fn png_bytes(image: DynamicImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    /// A small PNG file whose header claims `w x h` (its pixel data is a stub).
    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend(h.to_be_bytes());
        ihdr.extend([8, 0, 0, 0, 0]); // 8-bit grey, deflate, no filter, no interlace
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [
            (b"IHDR", ihdr),
            (b"IDAT", vec![0x78, 0x9c, 0x03, 0x00, 0, 0, 0, 1]),
            (b"IEND", vec![]),
        ] {
            let mut chunk = kind.to_vec();
            chunk.extend(&data);
            out.extend((data.len() as u32).to_be_bytes());
            out.extend(&chunk);
            out.extend(crc32(&chunk).to_be_bytes());
        }
        out
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn huge_pictures_are_refused_from_the_header() {
        for bytes in [
            b"P5\n30000 30000\n255\n\0\0\0".to_vec(),
            png_header(30_000, 30_000),
        ] {
            let err = decode(&bytes, "huge").unwrap_err().to_string();
            assert!(err.starts_with("huge: the image is 30000x30000"), "{err}");
        }
    }

    #[test]
    fn unknown_and_broken_files_are_named() {
        let err = decode(b"hello, world", "notes.txt")
            .unwrap_err()
            .to_string();
        assert!(err.contains("notes.txt: not an image"), "{err}");
        let mut png = png_bytes(DynamicImage::new_luma8(40, 40));
        png.truncate(png.len() / 2);
        let err = decode(&png, "half.png").unwrap_err().to_string();
        assert!(err.contains("half.png: cannot decode"), "{err}");
    }

    #[test]
    fn ink_on_a_transparent_canvas_is_kept_whatever_its_colour() {
        for ink in [Rgba([255, 255, 255, 255]), Rgba([0, 0, 0, 255])] {
            let mut canvas = RgbaImage::new(20, 10); // transparent black
            canvas.put_pixel(5, 5, ink);
            let gray = decode(&png_bytes(canvas.into()), "canvas").unwrap();
            let corner = gray.at(0, 0);
            assert!((gray.at(5, 5) - corner).abs() == 1.0, "{ink:?}: {corner}");
        }
    }

    #[test]
    fn every_promised_format_is_read() {
        let img =
            image::GrayImage::from_fn(16, 8, |x, _| image::Luma([if x < 8 { 0 } else { 255 }]));
        let rgb = DynamicImage::from(img.clone()).to_rgb8();
        for format in [
            ImageFormat::Png,
            ImageFormat::Jpeg,
            ImageFormat::Bmp,
            ImageFormat::Gif,
            ImageFormat::Pnm,
        ] {
            let mut out = Cursor::new(Vec::new());
            match format {
                ImageFormat::Jpeg | ImageFormat::Bmp | ImageFormat::Gif => {
                    rgb.write_to(&mut out, format)
                }
                _ => img.write_to(&mut out, format),
            }
            .unwrap();
            let gray = decode(&out.into_inner(), "f").unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert_eq!((gray.width, gray.height), (16, 8), "{format:?}");
            assert!(gray.at(1, 4) < 0.1 && gray.at(14, 4) > 0.9, "{format:?}");
        }
    }

    #[test]
    fn grey_levels_survive_decoding() {
        let mut img = image::GrayImage::new(3, 1);
        img.put_pixel(1, 0, image::Luma([51]));
        img.put_pixel(2, 0, image::Luma([255]));
        let gray = decode(&png_bytes(img.into()), "g").unwrap();
        assert_eq!((gray.width, gray.height), (3, 1));
        assert_eq!(gray.pixels, vec![0.0, 0.2, 1.0]);
    }
}
