#!/usr/bin/env python3
"""Builds the demo model's small CLIP BPE vocabulary (dev-only; run by train-demo-model.sh).

Reads every text the demo uses (one per line on stdin: `clip-search demo-gallery texts`), tokenizes each
pre-tokenized word with the genuine CLIP merges (Tests/Fixtures/tokenizer/clip-bpe) and keeps only the merges
that were applied, in their original order, plus the 512 byte-level symbols and the two special tokens.
BPE applies the lowest-ranked merge present at each step; every merge it applied is kept and no merge
is added, so those words tokenize exactly as with the full vocabulary. The script checks that against
open_clip's own tokenizer and writes vocab.json, merges.txt, tokenizer_config.json and
special_tokens_map.json into the output folder.

usage: clip-search demo-gallery texts | build_tokenizer.py <genuine-clip-bpe-folder> <output-folder> <context-length>
"""
import json
import sys
from pathlib import Path

import regex
from open_clip.tokenizer import SimpleTokenizer, bytes_to_unicode, get_pairs

START, END = "<|startoftext|>", "<|endoftext|>"


def read_merges(path):
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    return [tuple(line.split()) for line in lines[1:] if line.strip()]


def bpe(token, ranks, applied=None):
    """open_clip's SimpleTokenizer.bpe, recording each merge it applies."""
    word = tuple(token[:-1]) + (token[-1] + "</w>",)
    while len(word) > 1:
        bigram = min(get_pairs(word), key=lambda pair: ranks.get(pair, float("inf")))
        if bigram not in ranks:
            break
        if applied is not None:
            applied.add(bigram)
        first, second = bigram
        merged, index = [], 0
        while index < len(word):
            if index < len(word) - 1 and word[index] == first and word[index + 1] == second:
                merged.append(first + second)
                index += 2
            else:
                merged.append(word[index])
                index += 1
        word = tuple(merged)
    return list(word)


def main():
    source, output, context_length = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    texts = [line for line in sys.stdin.read().split("\n") if line.strip()]
    reference = SimpleTokenizer()  # open_clip's bundled genuine vocabulary, for the cross-check
    byte_encoder = bytes_to_unicode()
    merges = read_merges(source / "merges.txt")
    full_ranks = {merge: rank for rank, merge in enumerate(merges)}
    words = []
    for text in texts:
        cleaned = reference.clean_fn(text)
        for piece in regex.findall(reference.pat, cleaned):
            words.append("".join(byte_encoder[b] for b in piece.encode("utf-8")))
    words = sorted(set(words))
    applied = set()
    for word in words:
        tokens = bpe(word, full_ranks, applied)
        assert tokens == reference.bpe(word).split(" "), f"BPE differs from open_clip on {word!r}"
    kept = [merge for merge in merges if merge in applied]
    kept_ranks = {merge: rank for rank, merge in enumerate(kept)}
    for word in words:
        assert bpe(word, kept_ranks) == bpe(word, full_ranks), f"reduced vocabulary differs on {word!r}"

    symbols = list(byte_encoder.values())
    vocabulary = symbols + [symbol + "</w>" for symbol in symbols] + ["".join(merge) for merge in kept] + [START, END]
    vocab = {token: index for index, token in enumerate(vocabulary)}
    assert len(vocab) == len(vocabulary), "duplicate token"
    output.mkdir(parents=True, exist_ok=True)
    (output / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (output / "merges.txt").write_text("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in kept), encoding="utf-8")
    special = {"content": None, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}
    (output / "special_tokens_map.json").write_text(json.dumps({
        "bos_token": {**special, "content": START}, "eos_token": {**special, "content": END},
        "pad_token": END, "unk_token": {**special, "content": END}}, indent=2) + "\n", encoding="utf-8")
    added = {str(vocab[token]): {**special, "content": token, "special": True} for token in (START, END)}
    (output / "tokenizer_config.json").write_text(json.dumps({
        "added_tokens_decoder": added, "bos_token": START, "clean_up_tokenization_spaces": False, "eos_token": END,
        "errors": "replace", "model_max_length": context_length, "pad_token": END, "tokenizer_class": "CLIPTokenizer",
        "unk_token": END}, indent=2) + "\n", encoding="utf-8")
    longest = max(len(sum((bpe(w, kept_ranks) for w in
                           ("".join(byte_encoder[b] for b in p.encode("utf-8")) for p in regex.findall(reference.pat, reference.clean_fn(t)))), []))
                  for t in texts) + 2
    print(f"{len(texts)} texts, {len(words)} distinct words, {len(kept)} of {len(merges)} merges kept, "
          f"vocabulary {len(vocab)}, longest text {longest} tokens with start and end", file=sys.stderr)
    if longest > context_length:
        print(f"warning: the longest text needs {longest} tokens, more than the context {context_length}", file=sys.stderr)


if __name__ == "__main__":
    main()
