//! `vitrine`: clean and inspect photos with the same core the widget runs in the browser.
//!
//! ```text
//! vitrine clean FILE... -o OUT [--max-side N]   # OUT: a file for one input, a directory for several
//! vitrine inspect FILE [--json]
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use vitrine_core::photo::{self, CleanOptions, Limits};

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
        /// Output file (one input) or directory (several inputs; same file names).
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
    let into_directory = files.len() > 1 || output.is_dir();
    if into_directory {
        fs::create_dir_all(output)
            .with_context(|| format!("cannot create {}", output.display()))?;
    }
    let options = CleanOptions {
        max_side,
        ..CleanOptions::default()
    };
    let mut failures = 0usize;
    let mut written = std::collections::HashSet::new();
    for file in files {
        let target = if into_directory {
            let Some(name) = file.file_name() else {
                failures += 1;
                eprintln!("{}: refused: it has no file name", file.display());
                continue;
            };
            output.join(name)
        } else {
            output.to_path_buf()
        };
        // Two inputs with the same name (a/x.jpg, b/x.jpg) must not silently overwrite each other.
        if !written.insert(target.clone()) {
            failures += 1;
            eprintln!(
                "{}: refused: another input was already written to {}",
                file.display(),
                target.display()
            );
            continue;
        }
        match clean_one(file, &target, &options) {
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

fn clean_one(input: &Path, target: &Path, options: &CleanOptions) -> anyhow::Result<String> {
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
    fs::write(target, &cleaned.bytes)
        .with_context(|| format!("cannot write {}", target.display()))?;
    let removed = cleaned.report.plain_words();
    let removed = if removed.is_empty() {
        "nothing to remove".to_owned()
    } else {
        format!("removed {}", removed.join(", "))
    };
    let how = if cleaned.reencoded {
        format!(
            "downscaled {}×{} → {}×{}",
            cleaned.original_width, cleaned.original_height, cleaned.width, cleaned.height
        )
    } else {
        format!("lossless, {}×{}", cleaned.width, cleaned.height)
    };
    Ok(format!(
        "{} → {}: {removed} ({} bytes of metadata; {how})",
        input.display(),
        target.display(),
        cleaned.report.bytes_removed
    ))
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
