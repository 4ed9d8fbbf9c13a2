//! AVQA, audio-visual question answering.
//!
//! Input: the question, and for multiple choice a second line `Options: a; b; c; d`. Answer:
//! the answer text. Template variables `question` and `choices` (a list, or null when
//! open-ended).

use tera::Context;

/// (input, answer) of an AVQA sample; inserts `question` and `choices` into `context` when given.
pub fn parts(
    question: &str,
    choices: Option<&[String]>,
    answer: &str,
    context: Option<&mut Context>,
) -> (String, String) {
    if let Some(context) = context {
        context.insert("question", question);
        context.insert("choices", &choices);
    }
    let input = match choices {
        Some(options) => format!("{question}\nOptions: {}", options.join("; ")),
        None => question.to_string(),
    };
    (input, answer.to_string())
}
