//! The common types: a [`Record`] is what a source adapter reads out of native files; a
//! [`Sample`] is one line of a shard; a [`Target`] is the truth a sample carries, unrounded.

use crate::geometry::{BBox, Segment};
use serde::{Deserialize, Serialize};

/// The split of a sample in the output (`train` or `test`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Training data.
    Train,
    /// Evaluation data.
    Test,
}

impl Split {
    /// `train` or `test`, as in shard paths.
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

/// The five AVFIT tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Audio-referred image grounding: boxes of the sounding object.
    Arig,
    /// Image-guided audio temporal localization: segments where the pictured object sounds.
    Igatl,
    /// Audio-visual fact checking: a true or false claim.
    Avfc,
    /// Audio-visual question answering.
    Avqa,
    /// Audio-visual captioning.
    Avc,
}

/// Every task, in the order of DESIGN.md.
pub const ALL_TASKS: [Task; 5] = [Task::Arig, Task::Igatl, Task::Avfc, Task::Avqa, Task::Avc];

impl Task {
    /// `arig`, `igatl`, `avfc`, `avqa` or `avc`, as in shard paths and template file names.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Arig => "arig",
            Task::Igatl => "igatl",
            Task::Avfc => "avfc",
            Task::Avqa => "avqa",
            Task::Avc => "avc",
        }
    }
}

/// A string a record shares with other records (a media path, an origin's identity, a group, a
/// class label): made once by its adapter, then cloned by reference count, so the records of one
/// image, clip or class neither copy nor free it one by one. Build one from a `&str` or `String`
/// with `.into()`, or from pieces with [`text_with`].
pub type Text = std::sync::Arc<str>;

/// A [`Text`] of what `build` appends to an empty `String`: one allocation (the `Arc`'s) where
/// `[a, b].concat().into()` makes two (the `String`, then the `Arc` it is copied into, freeing
/// the `String`). `build` writes into a scratch buffer kept per thread and reused; it must not
/// call `text_with` itself (the buffer is borrowed: that panics).
pub fn text_with(build: impl FnOnce(&mut String)) -> Text {
    thread_local! {
        static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    SCRATCH.with_borrow_mut(|scratch| {
        scratch.clear();
        build(scratch);
        Text::from(scratch.as_str())
    })
}

/// Media a sample refers to, as paths relative to the media root (see [`crate::media_layout`]).
/// Two `Media` are equal when they name the same three paths (`origins` is where they come
/// from, checked on its own).
#[derive(Clone, Debug, Default)]
pub struct Media {
    /// An image or video frame (`<dataset>/frames/<key>.jpg`).
    pub image: Option<Text>,
    /// An audio clip (`<dataset>/audios/<key>.wav`).
    pub audio: Option<Text>,
    /// A video clip (`<dataset>/videos/<key>.mp4`).
    pub video: Option<Text>,
    /// Where each of the three comes from (the adapter says it; never part of a shard line).
    pub origins: MediaOrigins,
}

/// Per medium of a record's [`Media`]: whether an earlier record of its source named the same
/// path with the same origin, as the adapter knows it (a curated row's clip drawn again). The
/// build's media catalog passes those over without reading them
/// ([`crate::media_list::MediaCatalog::add_except`]); the default, none, is always right (the
/// catalog then finds repeats itself). Reported with [`crate::sources::Collector::emit_named`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NamedBefore {
    /// The image was named before.
    pub image: bool,
    /// The audio was named before.
    pub audio: bool,
    /// The video was named before.
    pub video: bool,
}

impl PartialEq for Media {
    fn eq(&self, other: &Media) -> bool {
        (&self.image, &self.audio, &self.video) == (&other.image, &other.audio, &other.video)
    }
}

/// Where one media file comes from, as its adapter knows it (not from its path, which a
/// `[source.media]` override may change): the YouTube video or the dataset's own file, the clip
/// window in that video and, for a frame, the time into the clip. `avfit media list` and `avfit
/// media extract` read it from the build's `media.csv`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MediaOrigin {
    /// YouTube id of the video the file is cut from; empty when not cut from a YouTube video.
    pub youtube_id: Text,
    /// Another identity of the source (`music:<video id>`, `oi:<ImageID>`, `voc:<id>`,
    /// `flickr:<id>`), empty when none.
    pub media_id: Text,
    /// The dataset's own file the media file is taken from when it is distributed as a file, not
    /// cut from a video (`<ImageID>.jpg`, `<video>_<k>.png`, `<name>.wav`, or a MUSIC-AVQA video
    /// `<id>.mp4`): its file name, looked up under `--images` / `--audio` / `--videos`.
    pub file: Text,
    /// Clip start in the source video, seconds (0 for a dataset's own video file).
    pub clip_start: Option<f64>,
    /// Clip end in the source video, seconds; `None` when the clip runs to the video's end.
    pub clip_end: Option<f64>,
    /// For a frame: seconds into the clip of the frame displayed then.
    pub frame_time: Option<f64>,
}

impl MediaOrigin {
    /// A clip `[start, end)` seconds of YouTube video `youtube_id`.
    pub fn youtube(youtube_id: &str, start: f64, end: f64) -> Self {
        MediaOrigin {
            youtube_id: youtube_id.into(),
            clip_start: Some(start),
            clip_end: Some(end),
            ..MediaOrigin::default()
        }
    }

    /// The dataset's own file `file` (an image or audio file as distributed), identity `media_id`.
    pub fn file(media_id: &str, file: &str) -> Self {
        MediaOrigin {
            media_id: media_id.into(),
            file: file.into(),
            ..MediaOrigin::default()
        }
    }

    /// This clip's frame at `t` seconds into the clip.
    pub fn frame(&self, t: f64) -> Self {
        MediaOrigin {
            frame_time: Some(t),
            ..self.clone()
        }
    }

    /// The frame in the middle of the clip (`(end - start) / 2` seconds in), used where the
    /// dataset publishes no annotated frame; `None` frame time when the clip's end is unknown.
    pub fn middle_frame(&self) -> Self {
        let t = match (self.clip_start, self.clip_end) {
            (Some(s), Some(e)) => Some((e - s) / 2.0),
            _ => None,
        };
        MediaOrigin {
            frame_time: t,
            ..self.clone()
        }
    }
}

/// The origin of each media path of a record; `None` where the path is `None` or the adapter
/// does not know it. Each is shared by reference count, as [`Text`] is: the records of one image
/// or clip hold one origin, and a record stays small to move between threads. Build one from a
/// `MediaOrigin` with `.into()`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MediaOrigins {
    /// Origin of `image`.
    pub image: Option<std::sync::Arc<MediaOrigin>>,
    /// Origin of `audio`.
    pub audio: Option<std::sync::Arc<MediaOrigin>>,
    /// Origin of `video`.
    pub video: Option<std::sync::Arc<MediaOrigin>>,
}

/// The truth of a sample, unrounded, in normalized coordinates and seconds. Serialized as the
/// `target` object of a shard line; the variant decides the task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Target {
    /// AVFC: a claim about the image and the audio and whether it holds. Listed first so that a
    /// JSON target with `verdict` is read back as AVFC, not as ARIG.
    Avfc {
        /// Fact-checking type (the paper's): 1 does the object make the sound; 2 is the object
        /// that makes the sound present in the image; 3 does the object make the sound within the
        /// given segment; 4 is the sound related to the object in the given box.
        #[serde(rename = "type")]
        kind: u8,
        /// Whether the claim holds.
        verdict: bool,
        /// The class the claim names (types 1, 3: the pictured object; 2, 4: the sound's class).
        label: Text,
        /// Type 4: the box shown in the claim (normalized), one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        boxes: Option<Vec<BBox>>,
        /// Type 3: the segment shown in the claim (seconds), one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        segments: Option<Vec<Segment>>,
        /// Type 3: the clip length in seconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration: Option<f64>,
    },
    /// ARIG: every box (normalized `[x0,y0,x1,y1]`) of the sounding object `label`.
    Arig {
        /// Display label, underscores read as spaces.
        label: Text,
        /// Normalized boxes, at least one.
        boxes: Vec<BBox>,
    },
    /// IGATL: the segments (seconds) in which `label` sounds in a clip of `duration` seconds.
    Igatl {
        /// Display label, underscores read as spaces.
        label: Text,
        /// Merged, sorted segments `[start,end)` in seconds, at least one.
        segments: Vec<Segment>,
        /// Clip length in seconds.
        duration: f64,
    },
    /// AVQA: a question with its answer.
    Avqa {
        /// The question text as asked.
        question: String,
        /// The non-null options in native order, or `None` for an open-ended question.
        choices: Option<Vec<String>>,
        /// The answer text.
        answer: String,
        /// Index of `answer` in `choices`, or `None` when open-ended.
        answer_index: Option<usize>,
        /// The dataset's question type (`Happening`, `Audio-Visual/Counting`, ...).
        question_type: String,
    },
    /// AVC: a caption of the clip.
    Avc {
        /// The caption text.
        caption: String,
    },
}

impl Target {
    /// The task this target belongs to.
    pub fn task(&self) -> Task {
        match self {
            Target::Avfc { .. } => Task::Avfc,
            Target::Arig { .. } => Task::Arig,
            Target::Igatl { .. } => Task::Igatl,
            Target::Avqa { .. } => Task::Avqa,
            Target::Avc { .. } => Task::Avc,
        }
    }
}

/// One normalized record read out of a dataset's native files by its source adapter.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The source adapter's name (`vggss`, `llp`, ...).
    pub source: &'static str,
    /// Key of the record inside the source; the sample id is `<source>/<key>/<task>`, and
    /// `<source>/<key>/avfc/<type>` for AVFC, unique in the corpus.
    pub key: String,
    /// The output split, after the source's split rule (or `--split`).
    pub split: Split,
    /// Identities of the media used (`yt:<youtube id>`, `music:<video id>`, ...), for leakage checks.
    pub groups: Vec<Text>,
    /// Media paths relative to the media root.
    pub media: Media,
    /// The truth.
    pub target: Target,
    /// Whether the media alone do not say what the sample asks about, so its `input` names the
    /// class and its instruction comes from the task's `[[referring]]` templates (ARIG and IGATL;
    /// see [`crate::render`]): an image without audio (`openimages`), an LLP frame that shows
    /// several classes heard in the clip. Two samples of one task with the same media and input
    /// must have the same answer; this is how the adapters keep that when the media are shared.
    pub referring: bool,
}

/// One line of a shard: the rendered triple with its record's identity and truth.
/// Field order is the order of DESIGN.md's table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// `<source>/<record key>/<task>`, unique in the corpus.
    pub id: String,
    /// The task (as in the shard path).
    pub task: Task,
    /// The source (as in the shard path).
    pub source: String,
    /// The split (as in the shard path).
    pub split: Split,
    /// Image path relative to the media root, or null.
    pub image: Option<String>,
    /// Audio path relative to the media root, or null.
    pub audio: Option<String>,
    /// Video path relative to the media root, or null.
    pub video: Option<String>,
    /// Identities of the media used.
    pub groups: Vec<String>,
    /// The rendered instruction.
    pub instruction: String,
    /// The rendered input (the question, the claim; empty when the media are the whole input).
    pub input: String,
    /// The answer, exactly as DESIGN.md fixes it for the task and dialect.
    pub answer: String,
    /// `<task>/<template id>` of the template used.
    pub template: String,
    /// The truth, unrounded.
    pub target: Target,
}

impl Sample {
    /// Appends the sample's shard line (without newline) to `out`: [`SampleLine::write_json`] of
    /// its fields.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        SampleLine {
            id: &self.id,
            task: self.task,
            source: &self.source,
            split: self.split,
            image: self.image.as_deref(),
            audio: self.audio.as_deref(),
            video: self.video.as_deref(),
            groups: &self.groups,
            instruction: &self.instruction,
            input: &self.input,
            answer: &self.answer,
            template: &self.template,
            target: &self.target,
        }
        .write_json(out)
    }
}

/// The fields of one shard line, borrowed: what the rendering threads write straight from a
/// [`Record`] and its rendered texts, with no [`Sample`] built in between. Field meanings as in
/// [`Sample`]; `G` is the groups' string type (a record's [`Text`], a sample's `String`).
#[derive(Clone, Copy, Debug)]
pub struct SampleLine<'a, G: AsRef<str>> {
    /// `<source>/<record key>/<task>` (AVFC: `<source>/<key>/avfc/<type>`).
    pub id: &'a str,
    /// The task.
    pub task: Task,
    /// The source.
    pub source: &'a str,
    /// The split.
    pub split: Split,
    /// Image path relative to the media root, if any.
    pub image: Option<&'a str>,
    /// Audio path relative to the media root, if any.
    pub audio: Option<&'a str>,
    /// Video path relative to the media root, if any.
    pub video: Option<&'a str>,
    /// Identities of the media used.
    pub groups: &'a [G],
    /// The rendered instruction.
    pub instruction: &'a str,
    /// The rendered input.
    pub input: &'a str,
    /// The answer.
    pub answer: &'a str,
    /// `<task>/<template id>`.
    pub template: &'a str,
    /// The truth, unrounded.
    pub target: &'a Target,
}

impl<G: AsRef<str>> SampleLine<'_, G> {
    /// Appends the shard line (without newline) to `out`: the bytes `serde_json::to_writer`
    /// writes for the [`Sample`] of these fields (fields in declaration order, compact), with the
    /// strings written by [`crate::json_text`] (one copy when they need no escape) and `target`
    /// by serde_json.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        use crate::json_text::{push_optional_str, push_str};
        out.extend_from_slice(b"{\"id\":");
        push_str(out, self.id);
        out.extend_from_slice(b",\"task\":\"");
        out.extend_from_slice(self.task.as_str().as_bytes());
        out.extend_from_slice(b"\",\"source\":");
        push_str(out, self.source);
        out.extend_from_slice(b",\"split\":\"");
        out.extend_from_slice(self.split.as_str().as_bytes());
        out.extend_from_slice(b"\",\"image\":");
        push_optional_str(out, self.image);
        out.extend_from_slice(b",\"audio\":");
        push_optional_str(out, self.audio);
        out.extend_from_slice(b",\"video\":");
        push_optional_str(out, self.video);
        out.extend_from_slice(b",\"groups\":[");
        for (i, group) in self.groups.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_str(out, group.as_ref());
        }
        out.extend_from_slice(b"],\"instruction\":");
        push_str(out, self.instruction);
        out.extend_from_slice(b",\"input\":");
        push_str(out, self.input);
        out.extend_from_slice(b",\"answer\":");
        push_str(out, self.answer);
        out.extend_from_slice(b",\"template\":");
        push_str(out, self.template);
        out.extend_from_slice(b",\"target\":");
        write_target_json(self.target, out);
        out.push(b'}');
    }
}

/// Appends `target` as serde_json writes it. ARIG and IGATL targets (most lines) are written
/// here, numbers by serde_json one at a time, without serde's map machinery; the others by
/// serde_json whole.
fn write_target_json(target: &Target, out: &mut Vec<u8>) {
    use crate::json_text::push_str;
    let number = crate::json_text::push_f64;
    let numbers = |out: &mut Vec<u8>, values: &[f64]| {
        out.push(b'[');
        for (i, &value) in values.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            number(out, value);
        }
        out.push(b']');
    };
    // `{"label":<label>,"<field>":[[numbers],...]` (the caller closes the object).
    let labelled = |out: &mut Vec<u8>, label: &str, field: &[u8], lists: &mut dyn Iterator<Item = &[f64]>| {
        out.extend_from_slice(b"{\"label\":");
        push_str(out, label);
        out.extend_from_slice(b",\"");
        out.extend_from_slice(field);
        out.extend_from_slice(b"\":[");
        for (i, list) in lists.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            numbers(out, list);
        }
        out.push(b']');
    };
    match target {
        Target::Arig { label, boxes } => {
            labelled(out, label, b"boxes", &mut boxes.iter().map(|b| &b.0[..]));
            out.push(b'}');
        }
        Target::Igatl {
            label,
            segments,
            duration,
        } => {
            labelled(out, label, b"segments", &mut segments.iter().map(|s| &s.0[..]));
            out.extend_from_slice(b",\"duration\":");
            number(out, *duration);
            out.push(b'}');
        }
        _ => serde_json::to_writer(&mut *out, target).expect("a Target always serializes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample of `target` whose every string field holds `text`.
    fn sample(target: Target, text: &str, image: Option<&str>) -> Sample {
        Sample {
            id: format!("src/{text}/arig"),
            task: target.task(),
            source: "src".into(),
            split: Split::Test,
            image: image.map(str::to_string),
            audio: Some(format!("a/{text}.wav")),
            video: None,
            groups: vec![format!("yt:{text}"), "oi:x".into()],
            instruction: format!("Say {text}"),
            input: text.to_string(),
            answer: format!("[{text},0.100,0.200,0.300,0.400]"),
            template: "arig/t".into(),
            target,
        }
    }

    #[test]
    fn write_json_writes_odd_numbers_and_empty_lists_as_serde_json() {
        let line = |target: Target| {
            let mut line = Vec::new();
            sample(target, "t", None).write_json(&mut line);
            let line = String::from_utf8(line).unwrap();
            line[line.find(",\"target\":").unwrap()..].to_string()
        };
        assert_eq!(
            line(Target::Arig {
                label: "x".into(),
                boxes: vec![BBox([-0.0, f64::NAN, f64::INFINITY, 1e-7])],
            }),
            ",\"target\":{\"label\":\"x\",\"boxes\":[[-0.0,null,null,1e-7]]}}"
        );
        assert_eq!(
            line(Target::Igatl {
                label: "x".into(),
                segments: Vec::new(),
                duration: f64::NEG_INFINITY,
            }),
            ",\"target\":{\"label\":\"x\",\"segments\":[],\"duration\":null}}"
        );
    }

    #[test]
    fn write_json_writes_the_bytes_serde_json_writes() {
        let targets = [
            Target::Arig {
                label: "dog \"x\"".into(),
                boxes: vec![BBox([0.1, 0.2, 0.30000000000000004, 1.0])],
            },
            Target::Arig {
                label: String::new().into(),
                boxes: vec![
                    BBox([1e-7, 0.0, 5e-324, 1.0]),
                    BBox([0.125, 0.25, 0.5, 0.999_999_999_999_999_9]),
                ],
            },
            Target::Igatl {
                label: "a\u{1f}b".into(),
                segments: vec![Segment([1e-7, 1e21])],
                duration: 0.1,
            },
            Target::Igatl {
                label: "dog".into(),
                segments: vec![Segment([0.0, 2.5]), Segment([3.0, 10.0])],
                duration: 10.0,
            },
            // Values no adapter lets through, still written as serde_json writes them: -0.0 as
            // `-0.0`, NaN and infinities as `null`, no box or segment as `[]`.
            Target::Arig {
                label: "x".into(),
                boxes: vec![BBox([-0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY])],
            },
            Target::Arig {
                label: "x".into(),
                boxes: Vec::new(),
            },
            Target::Igatl {
                label: "x".into(),
                segments: Vec::new(),
                duration: f64::NAN,
            },
            Target::Avfc {
                kind: 4,
                verdict: false,
                label: "cat".into(),
                boxes: Some(vec![BBox([0.0, 0.0, 0.5, 0.5])]),
                segments: None,
                duration: None,
            },
            Target::Avqa {
                question: "Is it\nloud?".into(),
                choices: Some(vec!["yes".into(), "no\\".into()]),
                answer: "yes".into(),
                answer_index: Some(0),
                question_type: "Audio/Counting".into(),
            },
            Target::Avc {
                caption: "A dog barks.\t".into(),
            },
        ];
        for target in targets {
            for text in [
                "plain",
                "q\"uote",
                "back\\slash",
                "new\nline",
                "ctl\u{1}x",
                "café 🎵",
                "",
            ] {
                for image in [Some("f/x.jpg"), None] {
                    let s = sample(target.clone(), text, image);
                    let mut line = Vec::new();
                    s.write_json(&mut line);
                    assert_eq!(
                        String::from_utf8(line).unwrap(),
                        serde_json::to_string(&s).unwrap(),
                        "{text:?}"
                    );
                }
            }
        }
    }
}
