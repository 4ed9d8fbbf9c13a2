//! Stable snake_case codes for rejected input (`rejects.jsonl`) and for rows deliberately
//! skipped (counted under `skipped` in `manifest.json`). Scripts match on these strings: add
//! codes, never rename one.

use serde::Serialize;

macro_rules! codes {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant,)*
        }
        impl $name {
            /// The stable snake_case code.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

codes! {
    /// Why an input record, or a part of one (a box, a row), was rejected.
    Reason {
        /// A coordinate or time is NaN or infinite.
        NonFiniteValue = "non_finite_value",
        /// A normalized coordinate lies outside [0, 1] by more than the clamp tolerance.
        BoxOutOfRange = "box_out_of_range",
        /// A box has zero width or height.
        DegenerateBox = "degenerate_box",
        /// A box has x0 > x1 or y0 > y1.
        ReversedBox = "reversed_box",
        /// A record has no valid box left.
        NoValidBox = "no_valid_box",
        /// A segment has onset == offset.
        ZeroLengthSegment = "zero_length_segment",
        /// A segment has onset > offset.
        ReversedSegment = "reversed_segment",
        /// A segment starts before 0 or ends after the clip.
        SegmentOutOfRange = "segment_out_of_range",
        /// The same row (or record) appears again with the same content; the first is kept.
        DuplicateRow = "duplicate_row",
        /// The same key appears again with different content; every copy is rejected.
        ConflictingDuplicate = "conflicting_duplicate",
        /// A required field is absent, empty or of the wrong type.
        MissingField = "missing_field",
        /// A field is present but cannot be parsed (a number, a nested JSON string).
        MalformedField = "malformed_field",
        /// A record asks what an earlier record of its source and task asks (same image, audio,
        /// video and input) but has another answer: a model could not tell which is right. The
        /// first is kept (captioning is exempt: several captions of a clip are all right).
        AmbiguousSample = "ambiguous_sample",
        /// A clip, video or image id does not follow the dataset's id pattern, or cannot be a
        /// file name (empty, `.`, `..`, holding `/`, `\`, NUL or a control character).
        BadClipId = "bad_clip_id",
        /// An audio event whose label is never visible in the clip (LLP).
        NotVisible = "not_visible",
        /// A segmentation mask has no foreground pixel.
        EmptyMask = "empty_mask",
        /// A referenced media file is missing or unreadable.
        MissingMedia = "missing_media",
        /// A QA answer index points outside the options.
        AnswerOutOfRange = "answer_out_of_range",
        /// A QA answer index points at a null option.
        NullAnswer = "null_answer",
        /// A question template's placeholders and values differ in number.
        PlaceholderMismatch = "placeholder_mismatch",
        /// A caption that is only digits (VALOR-32K's millisecond defect).
        DigitsOnlyCaption = "digits_only_caption",
        /// A pairing row names an image with no annotation file (PASCAL Sound).
        MissingAnnotation = "missing_annotation",
        /// The image's annotation has no object of the row's label (PASCAL Sound).
        NoMatchingObject = "no_matching_object",
        /// A pixel image size is neither in the annotation nor readable from the image.
        MissingSize = "missing_size",
    }
}

codes! {
    /// Why rows were deliberately not used (not an error): counted per code under `skipped`.
    Skip {
        /// The native split is left out by the source's split rule (e.g. MUSIC-AVQA `val`).
        SplitNotUsed = "split_not_used",
        /// A synthetic video (MUSIC-AVQA ids `va`, `sa`, `vv`, `eva`, `esa`, `evv`).
        SyntheticVideo = "synthetic_video",
        /// A question marked `question_deleted` in MUSIC-AVQA.
        QuestionDeleted = "question_deleted",
        /// An annotation whose id is not in the given test list (Flickr-SoundNet `test_list.txt`).
        NotInTestList = "not_in_test_list",
        /// A row whose class (MID or label) is not in the class map of the curated rows.
        ClassNotInMap = "class_not_in_map",
        /// An Open Images box with `IsDepiction = 1` (a drawing or photo of the object).
        Depiction = "depiction",
        /// A box of an Open Images image that is stored rotated.
        Rotated = "rotated",
        /// An (image, class) group for which pairing drew no clip: no clean clip of the class in
        /// its split, or the class's cap reached.
        NotDrawn = "not_drawn",
        /// An audio row whose clip no pair drew.
        ClipNotDrawn = "clip_not_drawn",
        /// An audio row whose clip another source of the build (or `--exclude-groups`) uses in
        /// the split its hash does not give it, so it is never drawn.
        ReservedGroup = "reserved_group",
        /// A row a `[[filter]]` of a source spec leaves out (YouTube-BB boxes not `present`).
        FilteredOut = "filtered_out",
        /// A row that says its clip has no event (DESED's rows with empty onset, offset and label).
        NoEvent = "no_event",
        /// A dialog turn whose answer is the placeholder of an official test file (AVSD
        /// `__UNDISCLOSED__`): never a target.
        UndisclosedAnswer = "undisclosed_answer",
    }
}

codes! {
    /// Why `avfit export` left a sample out of a chat export (listed in its `skipped.jsonl`).
    ExportSkip {
        /// The instruction, input or answer holds `<image>`, `<audio>` or `<video>` (with
        /// `--grounding objects` also `<ref-object>` or `<bbox>`) as text: the trainer would
        /// count it as a placeholder and find more placeholders than media.
        LiteralPlaceholder = "literal_placeholder",
        /// `--media` leaves the sample without its visual medium (it has an image or a video and
        /// the export lists neither of those it has) or without its audio: its instruction
        /// would ask about a medium the trainer never shows.
        MediaNotExported = "media_not_exported",
    }
}
