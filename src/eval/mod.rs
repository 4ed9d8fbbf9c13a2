//! `avfit eval`: scores a model's predictions on a corpus's test split with MeerkatBench's
//! metrics, exactly as ../shared/EVAL.md describes them and their reference code computes them.
//!
//! * [`parse`]: answers back into boxes and segments (the inverse of [`crate::dialect`]).
//! * [`metrics`]: ARIG cIoU/AUC, IGATL F1, AVFC F1/accuracy, AVQA accuracy.
//! * [`ptb`] and [`caption`]: captioning (pycocoevalcap's tokenization, BLEU, ROUGE-L, CIDEr-D);
//!   [`meteor`]: METEOR 1.5 through its Java jar.
//! * [`run`]: the command (reading corpus and predictions, grouping, JSON, table); [`html`]: its
//!   page.

pub mod caption;
pub mod html;
pub mod meteor;
pub mod metrics;
pub mod parse;
pub mod ptb;
pub mod run;
