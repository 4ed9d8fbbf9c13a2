#!/usr/bin/env python3
"""Golden files for `avfit eval`'s captioning code, produced with the reference itself:
pycocoevalcap 1.2 (Stanford PTBTokenizer 3.4.1 and METEOR 1.5 run with Java).

    python3 -m venv target/pyenv && target/pyenv/bin/pip install pycocoevalcap==1.2
    target/pyenv/bin/python bench/eval_golden.py tokens   > tests/data/eval/ptb_golden.jsonl
    target/pyenv/bin/python bench/eval_golden.py captions > tests/data/eval/caption_golden.json

`tokens`: every caption of ../shared/real/valor/*.json (or $AVFIT_REAL_DATA/valor), EVAL.md's
examples and a few extra sentences, one JSON line each: {"text", "tokens"} (tokens as
pycocoevalcap's PTBTokenizer returns them: PTB-tokenized, lower-cased, punctuation removed).
`captions`: seeded generated corpora (>= 200 clips, 1-5 references each) with the scores of
pycocoevalcap's Bleu(4), Meteor, Rouge and Cider on them: {"corpora": [{"clips": [{"refs", "cand"}],
"scores": {...}, "per_clip_cider": [...]}]}. The Rust tests read the clips and compare.
"""
import contextlib, glob, json, os, random, sys

from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.meteor.meteor import Meteor
from pycocoevalcap.rouge.rouge import Rouge
from pycocoevalcap.cider.cider import Cider

EVAL_MD_EXAMPLES = [
    "The dog can't stop barking...",
    "A man's guitar; it's loud!",
    "A black-and-white cat (maybe two).",
    "won't gonna don't",
    "...",
]
EXTRA = [
    'He said "hello" to the dog.',
    "A woman -- smiling -- plays the piano; a child claps.",
    "Two men (one in red) talk, while a car's horn honks!",
    "It's 10:30 and the U.S. flag waves at 5.5 m/s?",
    "The cat's toys: a ball, a mouse, and a string.",
    "Rock 'n' roll music plays in the background",
    "A {curly} word and a [square] word",
    "Mr. Smith isn't here, I'd say.",
    "she cannot dance 'til dawn",
    "the children's choir sings  loudly",
]


def real_valor():
    root = os.environ.get("AVFIT_REAL_DATA", os.path.join(os.path.dirname(__file__), "../../shared/real"))
    texts = []
    for path in sorted(glob.glob(os.path.join(root, "valor", "*.json"))):
        for item in json.load(open(path)):
            texts.append(item["desc"])
    return texts


def tokens():
    texts = real_valor() + EVAL_MD_EXAMPLES + EXTRA
    out = PTBTokenizer().tokenize({i: [{"caption": t}] for i, t in enumerate(texts)})
    for i, t in enumerate(texts):
        print(json.dumps({"text": t, "tokens": out[i][0]}, ensure_ascii=False))


WORDS = ("a the man woman dog cat car bird child music plays sings barks talks walks on in with "
         "while and room outside grass red black white loud softly piano guitar drum engine roars "
         "people crowd cheers water flows wind blows two three small big street house").split()
PUNCT = [",", ".", "!", "?", ";", ""]


def sentence(rng):
    n = rng.randint(1, 14)
    words = [rng.choice(WORDS) for _ in range(n)]
    out = []
    for w in words:
        out.append(w)
        if rng.random() < 0.08:
            out[-1] += rng.choice([",", ";"])
    s = " ".join(out)
    if rng.random() < 0.5:
        s = s[0].upper() + s[1:]
    return s + rng.choice(PUNCT)


def corpus(seed, clips):
    rng = random.Random(seed)
    out = []
    for _ in range(clips):
        refs = [sentence(rng) for _ in range(rng.randint(1, 5))]
        r = rng.random()
        cand = refs[0] if r < 0.1 else (sentence(rng) if r < 0.6 else refs[-1].replace("a ", "the ", 1))
        out.append({"refs": refs, "cand": cand})
    return out


def score(clips):
    gts = {i: [{"caption": r} for r in c["refs"]] for i, c in enumerate(clips)}
    res = {i: [{"caption": c["cand"]}] for i, c in enumerate(clips)}
    tok = PTBTokenizer()
    gts, res = tok.tokenize(gts), tok.tokenize(res)
    scores = {}
    with contextlib.redirect_stdout(sys.stderr):  # Bleu prints its statistics
        b, _ = Bleu(4).compute_score(gts, res)
    for n in range(4):
        scores[f"bleu{n + 1}"] = b[n]
    scores["meteor"], _ = Meteor().compute_score(gts, res)
    scores["rouge_l"], _ = Rouge().compute_score(gts, res)
    scores["cider"], per_clip = Cider().compute_score(gts, res)
    return scores, [float(x) for x in per_clip]


def captions():
    corpora = []
    for seed, clips in [(1, 200), (2, 317)]:
        cl = corpus(seed, clips)
        scores, per_clip = score(cl)
        corpora.append({"seed": seed, "clips": cl, "scores": scores, "per_clip_cider": per_clip})
    print(json.dumps({"corpora": corpora}, indent=1))


def score_file(path):
    """Live mode for the tests: scores the clips of a JSON file {"clips": [...]}."""
    clips = json.load(open(path))["clips"]
    scores, per_clip = score(clips)
    print(json.dumps({"scores": scores, "per_clip_cider": per_clip}))


if __name__ == "__main__":
    {"tokens": tokens, "captions": captions}.get(sys.argv[1], lambda: score_file(sys.argv[2]))()
