//! `vitrine`: clean and inspect photos with the same core the widget runs in the browser.
//!
//! ```text
//! vitrine clean FILE... -o OUT [--max-side N]   # OUT: a file for one input, a directory for several
//! vitrine inspect FILE [--json]
//! ```
//!
//! A photo that must be re-encoded (to turn it upright or downscale it) comes out as JPEG, whatever
//! it came in as; its output name always says so (`room.webp` → `room.jpg`).

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use vitrine_core::photo::{self, CleanOptions, Cleaned, ImageFormat, Limits};

#[derive(Debug, Parser)]
#[command(
    name = "vitrine",
    version,
    about = "Remove every piece of metadata from photos, keeping them upright."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Strip all metadata, keep the picture upright, downscale to --max-side, verify.
    Clean {
        /// Photos to clean (JPEG, PNG, WebP).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output file (one input; its extension, if any, must match the output's format) or
        /// directory (several inputs; same file names, the extension changed to match the
        /// output's format, as when a WebP is re-encoded as JPEG).
        #[arg(short, long)]
        output: PathBuf,
        /// Long side of the output in pixels; smaller photos are stripped losslessly.
        #[arg(long, default_value_t = CleanOptions::default().max_side)]
        max_side: u32,
    },
    /// List every metadata carrier in a photo without changing it.
    Inspect {
        /// The photo.
        file: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Clean {
            files,
            output,
            max_side,
        } => clean(&files, &output, max_side),
        Command::Inspect { file, json } => inspect(&file, json),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("vitrine: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn clean(files: &[PathBuf], output: &Path, max_side: u32) -> anyhow::Result<ExitCode> {
    if max_side == 0 {
        bail!("--max-side must be at least 1");
    }
    let destination = if files.len() > 1 || output.is_dir() {
        fs::create_dir_all(output)
            .with_context(|| format!("cannot create {}", output.display()))?;
        Destination::Directory(output)
    } else {
        Destination::File(output)
    };
    let options = CleanOptions {
        max_side,
        ..CleanOptions::default()
    };
    let mut failures = 0usize;
    let mut written = HashSet::new();
    for file in files {
        match clean_one(file, destination, &options, &mut written) {
            Ok(line) => println!("{line}"),
            Err(error) => {
                failures += 1;
                eprintln!("{}: refused: {error:#}", file.display());
            }
        }
    }
    if failures > 0 {
        eprintln!("{failures} of {} file(s) refused", files.len());
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Where `-o` sends the cleaned photos.
#[derive(Debug, Clone, Copy)]
enum Destination<'a> {
    /// One input, written to exactly this path.
    File(&'a Path),
    /// Each input under its own name in this directory.
    Directory(&'a Path),
}

fn clean_one(
    input: &Path,
    destination: Destination<'_>,
    options: &CleanOptions,
    written: &mut HashSet<PathBuf>,
) -> anyhow::Result<String> {
    let metadata =
        fs::metadata(input).with_context(|| format!("cannot read {}", input.display()))?;
    if metadata.len() > options.limits.max_bytes as u64 {
        bail!(
            "the file is {} bytes, over the limit of {} bytes",
            metadata.len(),
            options.limits.max_bytes
        );
    }
    let bytes = fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;
    let cleaned = photo::clean(&bytes, options)?;
    // Only a re-encoded photo was turned: the lossless path keeps (or re-states) the orientation.
    let turned_upright =
        cleaned.reencoded && photo::inspect(&bytes, &options.limits)?.orientation != 1;
    let target = output_path(input, destination, &cleaned, turned_upright)?;
    // Two inputs with the same name (a/x.jpg, b/x.jpg, or x.webp re-encoded beside x.jpg) must
    // not silently overwrite each other.
    if !written.insert(target.clone()) {
        bail!("another input was already written to {}", target.display());
    }
    let renamed =
        matches!(destination, Destination::Directory(_)) && target.file_name() != input.file_name();
    write_output(&target, &cleaned.bytes, renamed)?;
    let removed = cleaned.report.plain_words();
    let removed = if removed.is_empty() {
        "nothing to remove".to_owned()
    } else {
        format!("removed {}", removed.join(", "))
    };
    Ok(format!(
        "{} → {}: {removed} ({} bytes of metadata; {})",
        input.display(),
        target.display(),
        cleaned.report.bytes_removed,
        what_was_done(&cleaned, turned_upright)
    ))
}

/// The file a cleaned photo goes to; its extension always names the output's format, which is
/// JPEG whenever the photo was re-encoded, whatever it came in as.
fn output_path(
    input: &Path,
    destination: Destination<'_>,
    cleaned: &Cleaned,
    turned_upright: bool,
) -> anyhow::Result<PathBuf> {
    match destination {
        Destination::Directory(directory) => {
            let Some(name) = input.file_name() else {
                bail!("it has no file name");
            };
            let name = Path::new(name);
            if extension_names(name, cleaned.format) {
                Ok(directory.join(name))
            } else {
                Ok(directory.join(name.with_extension(cleaned.format.extension())))
            }
        }
        // The name was chosen by the user: written as asked, or not at all.
        Destination::File(file) => {
            if file.extension().is_none() || extension_names(file, cleaned.format) {
                return Ok(file.to_path_buf());
            }
            let why = if cleaned.reencoded {
                if turned_upright {
                    " (re-encoded to turn it upright)"
                } else {
                    " (re-encoded to downscale it)"
                }
            } else {
                ""
            };
            bail!(
                "the cleaned photo is {}{why}, but {} does not end in .{}: nothing written; \
                 name the output {}",
                cleaned.format,
                file.display(),
                cleaned.format.extension(),
                file.with_extension(cleaned.format.extension()).display()
            )
        }
    }
}

/// Whether `path`'s extension is one that `format` goes by (any case).
fn extension_names(path: &Path, format: ImageFormat) -> bool {
    let Some(extension) = path.extension().and_then(|e| e.to_str()) else {
        return false;
    };
    let names: &[&str] = match format {
        ImageFormat::Jpeg => &["jpg", "jpeg", "jpe", "jfif"],
        ImageFormat::Png => &["png"],
        ImageFormat::WebP => &["webp"],
    };
    names.iter().any(|n| n.eq_ignore_ascii_case(extension))
}

/// Writes the output. A name we made up (the extension changed to match the format) never
/// replaces an existing file: it may be another photo, even the original of another input.
fn write_output(target: &Path, bytes: &[u8], renamed: bool) -> anyhow::Result<()> {
    let written = if renamed {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(target)
            .and_then(|mut file| file.write_all(bytes))
    } else {
        fs::write(target, bytes)
    };
    match written {
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => bail!(
            "its output is renamed to {} to match its format, and a file by that name already \
             exists (not overwritten)",
            target.display()
        ),
        other => other.with_context(|| format!("cannot write {}", target.display())),
    }
}

/// What cleaning did to the pixels, in words: only what really happened.
fn what_was_done(cleaned: &Cleaned, turned_upright: bool) -> String {
    if !cleaned.reencoded {
        return format!("lossless, {}×{}", cleaned.width, cleaned.height);
    }
    let mut done = Vec::new();
    if turned_upright {
        done.push("turned upright".to_owned());
    }
    let resized =
        (cleaned.original_width, cleaned.original_height) != (cleaned.width, cleaned.height);
    if resized {
        done.push(format!(
            "downscaled {}×{} → {}×{}",
            cleaned.original_width, cleaned.original_height, cleaned.width, cleaned.height
        ));
    } else {
        done.push(format!("{}×{}", cleaned.width, cleaned.height));
    }
    done.push(format!("re-encoded as {}", cleaned.format));
    done.join(", ")
}

fn inspect(file: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let bytes = fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let inspection = photo::inspect(&bytes, &Limits::default())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&inspection)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: {} {}×{}, orientation {}",
        file.display(),
        inspection.format,
        inspection.width,
        inspection.height,
        inspection.orientation
    );
    if inspection.report.carriers.is_empty() {
        println!("  no metadata carriers");
    }
    for carrier in &inspection.report.carriers {
        let label = carrier
            .label
            .as_deref()
            .map(|l| format!(" \"{l}\""))
            .unwrap_or_default();
        println!(
            "  {:<28} offset {:>9}  {:>9} bytes{label}",
            carrier.name, carrier.offset, carrier.length
        );
        if let Some(exif) = &carrier.exif {
            let mut notes = Vec::new();
            if exif.gps {
                notes.push(format!(
                    "GPS {}",
                    exif.gps_position.as_deref().unwrap_or("present")
                ));
            }
            if exif.make.is_some() || exif.model.is_some() {
                notes.push(format!(
                    "camera {} {}",
                    exif.make.as_deref().unwrap_or(""),
                    exif.model.as_deref().unwrap_or("")
                ));
            }
            for serial in &exif.serial_numbers {
                notes.push(format!("serial {serial}"));
            }
            if let Some(date) = &exif.date_time {
                notes.push(format!("date {date}"));
            }
            if let Some(software) = &exif.software {
                notes.push(format!("software {software}"));
            }
            for name in &exif.names {
                notes.push(format!("name {name}"));
            }
            if exif.thumbnail {
                notes.push("thumbnail".into());
            }
            if exif.maker_note {
                notes.push("maker note".into());
            }
            if let Some(o) = exif.orientation {
                notes.push(format!("orientation {o}"));
            }
            notes.push(format!("{} tags", exif.tag_count));
            for note in notes {
                println!("      {note}");
            }
        }
    }
    let words = inspection.report.plain_words();
    if !words.is_empty() {
        println!("  cleaning would remove: {}", words.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}
