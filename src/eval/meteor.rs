//! METEOR 1.5 through its Java jar, as pycocoevalcap 1.2's `meteor/meteor.py` runs it:
//! `java -jar -Xmx2G meteor-1.5.jar - - -stdio -l en -norm` in the jar's directory (its
//! paraphrase table lies beside it), one `SCORE ||| ref ||| ... ||| hyp` line per clip answered by
//! its statistics, then one `EVAL ||| stats ||| ...` line answered by each clip's score and the
//! corpus score (from the pooled statistics, not a mean of the clips').

use crate::eval::caption::Clip;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The METEOR jar: `explicit` when given (it must exist), else the one inside the `pycocoevalcap`
/// package of `python` (`$AVFIT_PYTHON`, else `python3`), found by asking that interpreter (the
/// package has no `__init__.py`: its `__path__` says where it is).
///
/// Errors (as the note the report carries): the file is missing, no interpreter or package.
pub fn find_jar(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(jar) = explicit {
        return if jar.is_file() {
            Ok(jar.to_path_buf())
        } else {
            Err(format!("--meteor-jar {} does not exist", jar.display()))
        };
    }
    let python = std::env::var_os("AVFIT_PYTHON").unwrap_or_else(|| "python3".into());
    let out = Command::new(&python)
        .args(["-c", "import pycocoevalcap; print(list(pycocoevalcap.__path__)[0])"])
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("no --meteor-jar and {} cannot run: {e}", python.to_string_lossy()))?;
    if !out.status.success() {
        return Err(format!(
            "no --meteor-jar and pycocoevalcap is not installed for {}",
            python.to_string_lossy()
        ));
    }
    let jar = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("meteor/meteor-1.5.jar");
    if jar.is_file() {
        Ok(jar)
    } else {
        Err(format!("pycocoevalcap has no {}", jar.display()))
    }
}

/// The corpus METEOR of `clips` (tokenized captions) computed by the jar at `jar` with `java`
/// from `PATH`; `None` for an empty set.
///
/// Errors (as the note the report carries): Java cannot start, the jar answers something that is
/// not a number.
pub fn meteor(jar: &Path, clips: &[Clip]) -> Result<Option<f64>, String> {
    if clips.is_empty() {
        return Ok(None);
    }
    let dir = jar.parent().unwrap_or(Path::new("."));
    let name = jar.file_name().ok_or("the METEOR jar has no file name")?;
    let mut child = Command::new("java")
        .arg("-jar")
        .arg("-Xmx2G")
        .arg(name)
        .args(["-", "-", "-stdio", "-l", "en", "-norm"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("java cannot start: {e}"))?;
    let result = (|| {
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        let mut eval = String::from("EVAL");
        for clip in clips {
            let hyp = clip.candidate.replace("|||", "").replacen("  ", " ", usize::MAX);
            let score = format!("SCORE ||| {} ||| {}\n", clip.references.join(" ||| "), hyp);
            stdin.write_all(score.as_bytes()).map_err(|e| e.to_string())?;
            stdin.flush().map_err(|e| e.to_string())?;
            line.clear();
            stdout.read_line(&mut line).map_err(|e| e.to_string())?;
            eval.push_str(" ||| ");
            eval.push_str(line.trim());
        }
        eval.push('\n');
        stdin.write_all(eval.as_bytes()).map_err(|e| e.to_string())?;
        stdin.flush().map_err(|e| e.to_string())?;
        for _ in 0..=clips.len() {
            line.clear();
            stdout.read_line(&mut line).map_err(|e| e.to_string())?;
        }
        line.trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| format!("the METEOR jar answered {:?}, not a score", line.trim()))
    })();
    let _ = child.kill();
    let _ = child.wait();
    result
}
