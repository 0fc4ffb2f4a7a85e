//! Reading image files (PNG, JPEG, BMP, GIF, PGM) into a [`Gray`] picture.
//!
//! A picture is returned as it is seen: a phone stores a photo taken upright or
//! upside down as the sensor read it, with an EXIF Orientation tag that says how
//! to turn it, and the tag is applied (an unreadable tag leaves the picture as
//! stored).
//!
//! A large JPEG is read straight at the analysis resolution (a [`Gray`] that
//! stands for the file's pixels, [`Gray::factor`]); other formats at their own.
//!
//! The size is read from the file's header and checked before anything is
//! decoded, so a 30,000 x 30,000 picture (a few bytes on disk, gigabytes in
//! memory) is refused without allocating it.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Seek};
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits};

use super::{Gray, ink};
use crate::error::{Error, Result, shown_path};

/// The longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 10_000;

/// The most pixels accepted (a 48-megapixel photo fits).
pub const MAX_PIXELS: u64 = 50_000_000;

/// No format read here stores more than this many pixels a byte: a 1-bit PNG
/// holds 8 pixels a byte before deflate, which expands at most about 1032:1 (GIF's
/// LZW, JPEG and PNM do worse). A header claiming more pixels than its file can
/// hold this way is lying, or the file is truncated.
pub const MAX_PIXELS_PER_BYTE: u64 = 8 * 1032;

/// Pictures up to this many pixels are decoded whatever their file's size (a few
/// megabytes at most), so small headers are judged by the decoder's own errors.
const ALWAYS_DECODED_PIXELS: u64 = 1 << 20;

/// JPEG files up to this size are read whole and decoded straight to grey.
const MAX_JPEG_BYTES: u64 = 256 << 20;

/// Reads the image file at `path` as grayscale.
pub fn open(path: &Path) -> Result<Gray> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut reader = BufReader::new(file);
    let head = reader.fill_buf().map_err(|e| Error::io(path, e))?;
    if is_jpeg(head) && len <= MAX_JPEG_BYTES {
        let mut bytes = Vec::with_capacity(len as usize);
        std::io::Read::read_to_end(&mut reader, &mut bytes).map_err(|e| Error::io(path, e))?;
        return decode(&bytes, &shown_path(path));
    }
    decode_from(reader, len, &shown_path(path))
}

/// Decodes an image held in memory (an upload, say); `origin` names it in errors.
pub fn decode(bytes: &[u8], origin: &str) -> Result<Gray> {
    if is_jpeg(bytes)
        && let Some(gray) = jpeg_luma(bytes, origin)?
    {
        return Ok(gray);
    }
    decode_from(Cursor::new(bytes), bytes.len() as u64, origin)
}

/// Whether `bytes` start like a JPEG file (SOI and a marker).
fn is_jpeg(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF])
}

/// Decodes a JPEG's luma channel alone (no colour conversion: several times
/// faster and smaller than decoding colour), after checking its size, and
/// shrinks it at once to the resolution the analysis reads
/// ([`ink::analysis_factor`]): the [`Gray`] of a 12-megapixel photo holds a
/// sixteenth of its pixels and stands for the whole.
/// `None` when this decoder cannot read the file (CMYK, say), so the general
/// path can try it and name the problem.
fn jpeg_luma(bytes: &[u8], origin: &str) -> Result<Option<Gray>> {
    let Some((mut decoder, size)) = luma_decoder(bytes) else {
        return Ok(None);
    };
    check_size(size, origin)?;
    check_backed(size, bytes.len() as u64, origin)?;
    let orientation = decoder
        .exif()
        .and_then(|exif| Orientation::from_exif_chunk(exif))
        .unwrap_or(Orientation::NoTransforms);
    // No second try by the general path: its peak memory is larger than the one
    // reserved for this file (see `footprint`).
    let broken = |e: String| Error::data(origin, format!("cannot decode the image: {e}"));
    let luma = decoder.decode().map_err(|e| broken(e.to_string()))?;
    let (width, height) = (size.0 as usize, size.1 as usize);
    let luma = luma
        .get(..width * height)
        .ok_or_else(|| broken("the decoder returned too few pixels".into()))?;
    // Shrunk as stored with the blocks aligned to the corner that turns into the
    // top-left, then turned: the same picture as turned, then shrunk, and the
    // full-size picture is never turned.
    let factor = ink::analysis_factor(width, height);
    let stored = ink::shrink_luma(luma, width, height, factor, upright_origin(orientation));
    Ok(Some(turned(stored, orientation)))
}

/// zune-jpeg's decoder reading from memory.
type LumaDecoder<'a> = zune_jpeg::JpegDecoder<zune_jpeg::zune_core::bytestream::ZCursor<&'a [u8]>>;

/// A JPEG decoder for `bytes`, its header read, that gives the luma alone, and the
/// picture's size as stored; `None` when the file is not such a JPEG (CMYK, say).
fn luma_decoder(bytes: &[u8]) -> Option<(LumaDecoder<'_>, (u32, u32))> {
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;

    if !is_jpeg(bytes) {
        return None;
    }
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(MAX_SIDE as usize)
        .set_max_height(MAX_SIDE as usize);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().ok()?;
    let info = decoder.info()?;
    if decoder.output_colorspace() != Some(ColorSpace::Luma) {
        return None;
    }
    Some((decoder, (u32::from(info.width), u32::from(info.height))))
}

/// Most bytes of memory decoding a JPEG by its luma takes per pixel at its peak: the
/// luma, one byte a pixel (the picture kept is shrunk to the analysis size), with room
/// for the decoder's own rows. A 48-megapixel photo took 50 MB more than a tiny one.
pub const LUMA_PEAK_BYTES_PER_PIXEL: u64 = 2;

/// What decoding an image file takes, from its header alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footprint {
    pub width: u32,
    pub height: u32,
    /// The most memory [`decode`] holds at once for it, in bytes.
    pub peak_bytes: u64,
}

/// The size of the picture in `bytes` and the peak memory [`decode`] needs for it, read
/// within the same bounds as [`decode`]: a JPEG read by its luma takes
/// [`LUMA_PEAK_BYTES_PER_PIXEL`], anything else [`PEAK_BYTES_PER_PIXEL`].
pub fn footprint(bytes: &[u8], origin: &str) -> Result<Footprint> {
    let (width, height, per_pixel) = match luma_decoder(bytes) {
        Some((_, (w, h))) => (w, h, LUMA_PEAK_BYTES_PER_PIXEL),
        None => {
            let (w, h) = dimensions(bytes, origin)?;
            (w, h, PEAK_BYTES_PER_PIXEL)
        }
    };
    Ok(Footprint {
        width,
        height,
        peak_bytes: u64::from(width) * u64::from(height) * per_pixel,
    })
}

/// Which corner of a picture stored as it was taken becomes the top-left once it is
/// turned as `orientation` says: `(right, bottom)`.
fn upright_origin(orientation: Orientation) -> (bool, bool) {
    // A 2x2 picture that numbers its corners, turned by the image crate itself.
    let corners = image::GrayImage::from_raw(2, 2, vec![0, 1, 2, 3]).expect("2x2 values");
    let mut probe = DynamicImage::ImageLuma8(corners);
    probe.apply_orientation(orientation);
    let corner = probe.as_bytes()[0];
    (corner % 2 == 1, corner / 2 == 1)
}

/// `gray`, a picture as stored (perhaps shrunk), turned as `orientation` says.
fn turned(gray: Gray, orientation: Orientation) -> Gray {
    use image::imageops::{flip_horizontal, flip_vertical, rotate90, rotate180, rotate270};
    use image::{ImageBuffer, Luma};

    if orientation == Orientation::NoTransforms {
        return gray;
    }
    let (factor, (source_w, source_h)) = (gray.factor(), gray.source_size());
    let (w, h) = (gray.width() as u32, gray.height() as u32);
    let stored = ImageBuffer::<Luma<f32>, _>::from_raw(w, h, gray.into_pixels())
        .expect("a Gray holds width x height values");
    let (upright, sideways) = match orientation {
        Orientation::NoTransforms => (stored, false),
        Orientation::Rotate90 => (rotate90(&stored), true),
        Orientation::Rotate180 => (rotate180(&stored), false),
        Orientation::Rotate270 => (rotate270(&stored), true),
        Orientation::FlipHorizontal => (flip_horizontal(&stored), false),
        Orientation::FlipVertical => (flip_vertical(&stored), false),
        Orientation::Rotate90FlipH => (flip_horizontal(&rotate90(&stored)), true),
        Orientation::Rotate270FlipH => (flip_horizontal(&rotate270(&stored)), true),
    };
    let source = if sideways {
        (source_h, source_w)
    } else {
        (source_w, source_h)
    };
    let size = (upright.width() as usize, upright.height() as usize);
    Gray::shrunk(size, upright.into_raw(), factor, source)
}

/// Guesses the format from the content, checks the header's size (against the
/// limits and against the file's length, `len` bytes), decodes, and flattens
/// colour and transparency to grey.
fn decode_from(reader: impl BufRead + Seek, len: u64, origin: &str) -> Result<Gray> {
    let mut decoder = header_decoder(reader, origin)?;
    check_size(decoder.dimensions(), origin)?;
    check_backed(decoder.dimensions(), len, origin)?;
    decoder
        .set_limits(picture_sized(decoder.total_bytes()))
        .map_err(|e| image_error(origin, e))?;
    // A broken EXIF block leaves the picture as stored rather than unreadable.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| image_error(origin, e))?;
    image.apply_orientation(orientation);
    Ok(to_gray(image))
}

/// The most a decoder may allocate while it reads the header and the chunks before the
/// pixels (a PNG's colour profile and text, inflated): 8 MiB, far above any real
/// profile. Checked as it inflates, so a 1 MB iCCP bomb claiming 1 GiB stops at 8 MiB.
pub const MAX_HEADER_ALLOC: u64 = 8 << 20;

/// Most bytes of memory a decode takes per pixel at its peak: the decoded picture (at
/// most 16-bit RGBA, 8 bytes) and its grey-alpha copy in `f32` (8 bytes).
pub const PEAK_BYTES_PER_PIXEL: u64 = 16;

/// A decoder positioned after the header, whose reading of it (and of the chunks
/// before the pixels) was bounded by [`MAX_HEADER_ALLOC`].
fn header_decoder<'a>(
    reader: impl BufRead + Seek + 'a,
    origin: &str,
) -> Result<impl ImageDecoder + 'a> {
    let mut reader = ImageReader::new(reader)
        .with_guessed_format()
        .map_err(|e| Error::data(origin, format!("cannot read the image: {e}")))?;
    if reader.format().is_none() {
        return Err(unsupported(origin));
    }
    // The sides are checked by `check_size`, from the header, with a clearer message.
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_HEADER_ALLOC);
    reader.limits(limits);
    reader.into_decoder().map_err(|e| match e {
        ImageError::Limits(_) => Error::data(
            origin,
            format!(
                "the image's metadata (colour profile, text) inflates to more than {} MiB: \
                 the file is corrupt or hostile",
                MAX_HEADER_ALLOC >> 20
            ),
        ),
        e => image_error(origin, e),
    })
}

/// The width and height an image file's header claims, read within the same bounds
/// as [`decode`].
pub fn dimensions(bytes: &[u8], origin: &str) -> Result<(u32, u32)> {
    Ok(header_decoder(Cursor::new(bytes), origin)?.dimensions())
}

/// Whether a `width x height` picture is beyond what is read: a side over
/// [`MAX_SIDE`] or more than [`MAX_PIXELS`].
pub fn too_large(width: u32, height: u32) -> bool {
    width.max(height) > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS
}

/// Refuses pictures larger than [`MAX_SIDE`] or [`MAX_PIXELS`].
fn check_size((width, height): (u32, u32), origin: &str) -> Result<()> {
    if too_large(width, height) {
        return Err(Error::data(
            origin,
            format!(
                "the image is {width}x{height} pixels, too large to read (at most {MAX_SIDE} \
                    pixels a side and {} megapixels); scale it down first",
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

/// Refuses a header that claims more pixels than a file of `len` bytes can hold
/// ([`MAX_PIXELS_PER_BYTE`]), before the picture's buffer is allocated: a 15-byte
/// GIF header claiming 3399x6666 pixels would otherwise cost 90 MB.
fn check_backed((width, height): (u32, u32), len: u64, origin: &str) -> Result<()> {
    let pixels = u64::from(width) * u64::from(height);
    let most = len
        .saturating_mul(MAX_PIXELS_PER_BYTE)
        .max(ALWAYS_DECODED_PIXELS);
    if pixels > most {
        return Err(Error::data(
            origin,
            format!(
                "the image header claims {width}x{height} pixels, more than a file of {len} \
                    bytes can hold: the file is truncated or corrupt"
            ),
        ));
    }
    Ok(())
}

/// Decoding limits that let a decoder's own buffers hold no more than the
/// picture whose size was checked: a GIF frame may claim to be larger than the
/// GIF's screen, and its buffer would otherwise be allocated (up to the image
/// crate's default of 512 MB) before the missing pixel data is noticed.
fn picture_sized(picture_bytes: u64) -> Limits {
    let mut limits = Limits::default();
    limits.max_alloc = Some(picture_bytes);
    limits
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
fn to_gray(image: DynamicImage) -> Gray {
    let la = image.to_luma_alpha32f();
    // The decoded picture goes before the grey one is built: the peak is two copies.
    drop(image);
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
    Gray::new(width, height, pixels)
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

    /// A GIF whose 16x16 screen passes the size check but whose first frame
    /// claims `w x h` (found by `cargo fuzz run image`: a 448-byte file made the
    /// decoder allocate 188 MB for the frame alone).
    fn gif_with_frame(w: u16, h: u16) -> Vec<u8> {
        let mut out = b"GIF89a".to_vec();
        out.extend(16u16.to_le_bytes());
        out.extend(16u16.to_le_bytes());
        out.extend([0x80, 0, 0]); // a global colour table of 2 entries
        out.extend([0, 0, 0, 255, 255, 255]);
        out.push(0x2c); // image descriptor: left, top, width, height, flags
        out.extend([0, 0, 0, 0]);
        out.extend(w.to_le_bytes());
        out.extend(h.to_le_bytes());
        out.push(0);
        out.extend([2, 2, 0x4c, 0x01, 0, 0x3b]); // LZW data, end of frame, trailer
        out
    }

    #[test]
    fn a_header_claiming_more_pixels_than_its_file_holds_is_refused() {
        // Found by `cargo fuzz run image`, minimised: a GIF screen of 3399x6666 and no data.
        let gif = b"GIF89aG\r\n\x1a\n\x89PH\x04";
        let err = decode(gif, "tiny.gif").unwrap_err().to_string();
        assert!(
            err.starts_with(
                "tiny.gif: the image header claims 3399x6666 pixels, more than a file of 15 bytes"
            ),
            "{err}"
        );
        let png = png_header(5000, 5000);
        let err = decode(&png, "tiny.png").unwrap_err().to_string();
        assert!(err.contains("claims 5000x5000 pixels"), "{err}");
        // Within what the file's size allows, the decoder itself decides.
        let err = decode(&png_header(1000, 1000), "stub.png")
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot decode"), "{err}");
    }

    #[test]
    fn a_gif_frame_larger_than_its_screen_is_refused_before_allocating() {
        let err = decode(&gif_with_frame(9000, 9000), "frame.gif")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("frame.gif: the image is too large to decode"),
            "{err}"
        );
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
            assert_eq!((gray.width(), gray.height()), (16, 8), "{format:?}");
            assert!(gray.at(1, 4) < 0.1 && gray.at(14, 4) > 0.9, "{format:?}");
        }
    }

    #[test]
    fn grey_levels_survive_decoding() {
        let mut img = image::GrayImage::new(3, 1);
        img.put_pixel(1, 0, image::Luma([51]));
        img.put_pixel(2, 0, image::Luma([255]));
        let gray = decode(&png_bytes(img.into()), "g").unwrap();
        assert_eq!((gray.width(), gray.height()), (3, 1));
        assert_eq!(gray.pixels(), vec![0.0, 0.2, 1.0]);
    }

    /// An EXIF block (TIFF, little-endian) holding one Orientation tag (0x0112).
    fn exif_orientation(value: u16) -> Vec<u8> {
        let mut exif = b"II*\0".to_vec();
        exif.extend(8u32.to_le_bytes()); // the first directory follows the header
        exif.extend(1u16.to_le_bytes()); // one entry
        exif.extend(0x0112u16.to_le_bytes());
        exif.extend(3u16.to_le_bytes()); // SHORT
        exif.extend(1u32.to_le_bytes());
        exif.extend(value.to_le_bytes());
        exif.extend([0, 0]);
        exif.extend(0u32.to_le_bytes()); // no next directory
        exif
    }

    /// A 48x32 picture as seen upright: white, a black square in the top-left
    /// corner and a grey bar along the bottom, so any turn or flip moves them.
    fn upright() -> image::GrayImage {
        image::GrayImage::from_fn(48, 32, |x, y| match (x, y) {
            (0..12, 0..12) => image::Luma([0]),
            (_, 26..) => image::Luma([128]),
            _ => image::Luma([255]),
        })
    }

    /// `stored` written as `format` with an EXIF Orientation tag of `tag`.
    fn tagged(stored: DynamicImage, format: ImageFormat, tag: u16) -> Vec<u8> {
        use image::ImageEncoder;
        use image::codecs::{jpeg::JpegEncoder, png::PngEncoder};
        let mut out = Vec::new();
        let (w, h, colour) = (stored.width(), stored.height(), stored.color());
        let exif = exif_orientation(tag);
        match format {
            ImageFormat::Jpeg => {
                let mut encoder = JpegEncoder::new_with_quality(&mut out, 95);
                encoder.set_exif_metadata(exif).unwrap();
                encoder.write_image(stored.as_bytes(), w, h, colour.into())
            }
            _ => {
                let mut encoder = PngEncoder::new(&mut out);
                encoder.set_exif_metadata(exif).unwrap();
                encoder.write_image(stored.as_bytes(), w, h, colour.into())
            }
        }
        .unwrap();
        out
    }

    #[test]
    fn pictures_stored_turned_are_read_upright() {
        use image::imageops::{rotate90, rotate180, rotate270};
        let up = upright();
        // EXIF 6: shown turned a quarter clockwise (a phone held upright); 3: half a
        // turn; 8: a quarter anticlockwise; 1: as stored.
        for (tag, stored) in [
            (6, rotate270(&up)),
            (3, rotate180(&up)),
            (8, rotate90(&up)),
            (1, up.clone()),
        ] {
            let grey = DynamicImage::from(stored);
            let colour = DynamicImage::from(grey.to_rgb8());
            for (name, bytes) in [
                ("grey JPEG", tagged(grey.clone(), ImageFormat::Jpeg, tag)),
                ("colour JPEG", tagged(colour, ImageFormat::Jpeg, tag)),
                ("PNG", tagged(grey, ImageFormat::Png, tag)),
            ] {
                let gray = decode(&bytes, name).unwrap();
                assert_eq!((gray.width(), gray.height()), (48, 32), "{name}, tag {tag}");
                let (corner, bar, paper) = (gray.at(4, 4), gray.at(24, 30), gray.at(40, 4));
                assert!(
                    corner < 0.1 && (bar - 0.5).abs() < 0.1 && paper > 0.9,
                    "{name}, tag {tag}: corner {corner}, bar {bar}, paper {paper}"
                );
            }
        }
    }

    #[test]
    fn a_large_jpeg_is_turned_upright_then_shrunk() {
        // 2050x1030 as stored: shrunk by 3, the last column of blocks cut to one pixel.
        let stored = image::GrayImage::from_fn(2050, 1030, |x, y| {
            let corner = x < 300 && y < 200;
            image::Luma([if corner { 0 } else { (x / 9 + y / 5) as u8 }])
        });
        let luma = |bytes: &[u8]| image::load_from_memory(bytes).unwrap().to_luma8();
        for tag in 1..=8 {
            let bytes = tagged(DynamicImage::from(stored.clone()), ImageFormat::Jpeg, tag);
            let mut upright = DynamicImage::from(luma(&bytes));
            upright.apply_orientation(Orientation::from_exif(tag as u8).unwrap());
            let (w, h) = (upright.width() as usize, upright.height() as usize);
            let pixels = upright.as_bytes().iter().map(|&v| f32::from(v) / 255.0);
            let expected = ink::shrink(&Gray::new(w, h, pixels.collect()), 3);
            let got = decode(&bytes, "large").unwrap();
            assert_eq!((got.factor(), got.source_size()), (3, (w, h)), "tag {tag}");
            let worst = crate::test_support::worst_difference(&got, &expected);
            assert!(worst < 1e-5, "tag {tag}: {worst}");
        }
    }

    #[test]
    fn a_broken_orientation_tag_leaves_the_picture_as_stored() {
        let stored = DynamicImage::from(upright());
        for format in [ImageFormat::Jpeg, ImageFormat::Png] {
            let gray = decode(&tagged(stored.clone(), format, 99), "odd tag").unwrap();
            assert_eq!((gray.width(), gray.height()), (48, 32), "{format:?}");
            assert!(gray.at(4, 4) < 0.1, "{format:?}");
        }
    }
}
