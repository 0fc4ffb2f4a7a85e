//! Hostile inputs under a memory limit: each is refused with a clear message and exit
//! code 1 or 2 (or, for a harmless bomb in optional metadata, read), never an abort.
//! The binary runs with its address space capped (setrlimit in the child), so an
//! unbounded allocation fails the test instead of the machine.
//! The bombs are built as deflate streams of one repeated segment: a megabyte of file
//! claims a gigabyte.

#![cfg(target_os = "linux")]

mod common;

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};

use flate2::{Compress, Compression, FlushCompress};

/// The address space the child may use: the program with its threads needs about 200
/// MiB of it; a gigabyte bomb would need five times this.
const LIMIT_BYTES: u64 = 512 << 20;

/// Runs digitnet with `args` under [`LIMIT_BYTES`] of address space.
fn digitnet_limited(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_digitnet"));
    cmd.args(args)
        .env("MALLOC_ARENA_MAX", "2")
        .env("MATMUL_NUM_THREADS", "1");
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: LIMIT_BYTES,
                rlim_max: LIMIT_BYTES,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    cmd.output().unwrap()
}

/// A raw deflate stream that inflates to `chunk` repeated `copies` times (`chunk`'s
/// length a multiple of its period), without ever holding the inflated bytes.
fn deflate_repeated(chunk: &[u8], copies: usize) -> Vec<u8> {
    let mut c = Compress::new(Compression::best(), false);
    let segment = |c: &mut Compress, input: &[u8], flush| {
        let mut out = Vec::with_capacity(input.len() / 8 + 1024);
        let before = c.total_in();
        while ((c.total_in() - before) as usize) < input.len() || out.is_empty() {
            let done = (c.total_in() - before) as usize;
            out.reserve(4096);
            c.compress_vec(&input[done..], &mut out, flush).unwrap();
            if matches!(flush, FlushCompress::Finish) {
                break;
            }
        }
        out
    };
    let first = segment(&mut c, chunk, FlushCompress::Sync);
    // Past the first chunk the window holds the pattern, so this segment repeats.
    let steady = segment(&mut c, chunk, FlushCompress::Sync);
    let mut out = first;
    for _ in 1..copies {
        out.extend_from_slice(&steady);
    }
    let mut end = Compress::new(Compression::best(), false);
    out.extend(segment(&mut end, &[], FlushCompress::Finish));
    out
}

/// A gzip member around [`deflate_repeated`] (its checksum is never reached).
fn gzip_repeated(chunk: &[u8], copies: usize) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend(deflate_repeated(chunk, copies));
    out.extend([0; 8]);
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn the_limit_leaves_room_for_a_normal_run() {
    let out = digitnet_limited(&["--epochs", "2", "-q"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
}

#[test]
fn a_png_whose_colour_profile_inflates_to_a_gigabyte_is_read_within_bounds() {
    let d = common::scratch("iccp-bomb");
    let mut png = Vec::new();
    image::GrayImage::new(28, 28)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let mut data = b"iCCPbomb\0\0".to_vec();
    data.extend([0x78, 0xda]); // zlib header
    data.extend(deflate_repeated(&vec![0u8; 1 << 20], 1024));
    let mut chunk = ((data.len() - 4) as u32).to_be_bytes().to_vec();
    chunk.extend(&data);
    chunk.extend(crc32fast::hash(&data).to_be_bytes());
    assert!(chunk.len() < 2 << 20, "{} bytes", chunk.len());
    let after_ihdr = 8 + 25;
    png.splice(after_ihdr..after_ihdr, chunk);
    let path = write(&d, "bomb.png", &png);
    let model = d.join("m.safetensors");
    let trained = common::digitnet(&["--epochs", "1", "-q", "--save", model.to_str().unwrap()]);
    assert!(trained.status.success());
    // The decoder stops inflating the profile at 8 MiB and drops it (a colour profile
    // is optional), so the picture itself is still read and answered.
    let out = digitnet_limited(&["predict", "--model", model.to_str().unwrap(), &path]);
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        common::stderr(&out)
    );
    assert!(
        common::stdout(&out).contains("bomb.png"),
        "{}",
        common::stdout(&out)
    );
}

#[test]
fn a_gzip_csv_of_one_endless_line_is_refused() {
    let d = common::scratch("csv-bomb");
    let chunk = b"0,".repeat(1 << 19);
    let path = write(&d, "bomb.csv.gz", &gzip_repeated(&chunk, 1024));
    let out = digitnet_limited(&["--dataset", &path, "--epochs", "1", "-q"]);
    common::assert_refused(&out, "line 1: cannot be read: the line is longer than");
}

#[test]
fn a_gzip_idx_bomb_is_refused_from_the_headers() {
    let d = common::scratch("idx-bomb");
    let dir = d.join("set");
    std::fs::create_dir(&dir).unwrap();
    // A gigabyte of images (1,369,568 of 28x28) behind one label.
    let mut images_header = vec![0, 0, 8, 3];
    for v in [1_369_568u32, 28, 28] {
        images_header.extend(v.to_be_bytes());
    }
    let zeros = vec![0u8; 1 << 20];
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut stream = deflate_repeated(&zeros, 1024);
    // The header goes first, stored: a stored block of its 16 bytes, not final.
    let mut stored = vec![0u8, 16, 0, !16u8, 0xff];
    stored.extend(&images_header);
    stored.append(&mut stream);
    gz.extend(stored);
    gz.extend([0; 8]);
    for part in ["train", "t10k"] {
        write(&dir, &format!("{part}-images-idx3-ubyte.gz"), &gz);
        let labels = [0, 0, 8, 1, 0, 0, 0, 1, 0]; // one label, 0
        write(&dir, &format!("{part}-labels-idx1-ubyte"), &labels);
    }
    let out = digitnet_limited(&["--dataset", dir.to_str().unwrap(), "-q"]);
    common::assert_refused(
        &out,
        "holds 1 labels but its image file holds 1369568 images",
    );
}

#[test]
fn absurd_shapes_and_layer_sizes_are_refused_before_allocating() {
    let d = common::scratch("shape");
    let csv = write(&d, "one.csv", b"0,1\n1,0\n0,1\n1,0\n");
    for shape in ["100000x100000", "18446744073709551615x18446744073709551615"] {
        let out = digitnet_limited(&["--dataset", &csv, "--shape", shape, "-q"]);
        common::assert_refused(&out, "invalid shape");
    }
    let out = digitnet_limited(&["--hidden", "16384,16384,16384", "-q"]);
    common::assert_refused(&out, "more than the 33554432 allowed");
}

/// Posts `body` as a PNG to `addr`'s API; the status code (0 if the server went away).
fn post_png(addr: &str, body: &[u8]) -> u16 {
    use std::io::Read;
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return 0;
    };
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if s.write_all(head.as_bytes())
        .and_then(|()| s.write_all(body))
        .is_err()
    {
        return 0;
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn concurrent_large_uploads_stay_within_the_servers_memory_budget() {
    use std::io::BufRead;
    // 4096x4096 (the largest PNG accepted), a few KB compressed, ~300 MB to work on.
    let img = image::GrayImage::from_fn(4096, 4096, |x, y| {
        let ink = (1000..3000).contains(&x) && (1500..2500).contains(&y);
        image::Luma([if ink { 0 } else { 255 }])
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    drop(img);
    let addr = common::free_addr();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_digitnet"));
    cmd.args(["serve", "--addr", &addr])
        .env("MALLOC_ARENA_MAX", "2")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    // SAFETY: as in `digitnet_limited`.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: SERVER_LIMIT_BYTES,
                rlim_max: SERVER_LIMIT_BYTES,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains(&addr), "{first}");
    let posts: Vec<_> = (0..4)
        .map(|_| {
            let (addr, png) = (addr.clone(), png.clone());
            std::thread::spawn(move || post_png(&addr, &png))
        })
        .collect();
    let codes: Vec<u16> = posts.into_iter().map(|p| p.join().unwrap()).collect();
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(alive, "the server died (out of memory?); answers {codes:?}");
    assert_eq!(codes, [200; 4]);
}

/// The server's address-space cap: one large upload (about 200 MB at its peak) fits
/// beside the idle server, four at once (without the budget) do not.
const SERVER_LIMIT_BYTES: u64 = 512 << 20;
