#!/usr/bin/env python3
"""Tokenization throughput of the peers (dev-only): Hugging Face `tokenizers` (Rust) for a tokenizer.json,
Google's `sentencepiece` (C++) for a model file, one call per line of the text file (each line one text, as
search queries are). Prints one JSON line with the same fields as `clip-search bench-tokenizer --json`
(ids, id_sum, lines, first_pass_ids_per_second, ids_per_second, milliseconds, load_milliseconds), so the two
can be compared and checked for identical output. The first pass runs with cold caches; tokenizers caches
words and whole texts, so its later passes are mostly cache hits.

  python3 scripts/bench/tokenizer_peer.py --file Tests/Fixtures/sentencepiece/xlmr-unigram/tokenizer.json \
      --text-file /tmp/long.txt
  .build/release/clip-search bench-tokenizer Tests/Fixtures/sentencepiece/xlmr-unigram/tokenizer.json /tmp/long.txt --json
"""
import argparse
import json
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", required=True)
    parser.add_argument("--text-file", required=True)
    parser.add_argument("--seconds", type=float, default=4)
    args = parser.parse_args()
    text = open(args.text_file, encoding="utf-8", newline="").read()
    start = time.perf_counter()
    if args.file.endswith(".json"):
        from tokenizers import Tokenizer
        tokenizer = Tokenizer.from_file(args.file)
        encode = lambda value: tokenizer.encode(value, add_special_tokens=False).ids  # noqa: E731
    else:
        import sentencepiece
        processor = sentencepiece.SentencePieceProcessor(model_file=args.file)
        encode = processor.encode
    load = time.perf_counter() - start
    lines = [line for line in text.split("\n") if line]

    def one_pass():
        ids = []
        for line in lines:
            ids.extend(encode(line))
        return ids

    begin = time.perf_counter()
    ids = one_pass()
    first = time.perf_counter() - begin
    times = []
    deadline = time.perf_counter() + args.seconds
    while not times or (time.perf_counter() < deadline and len(times) < 1000):
        begin = time.perf_counter()
        one_pass()
        times.append(time.perf_counter() - begin)
    seconds = statistics.median(times)
    print(json.dumps({"ids": len(ids), "id_sum": sum(ids), "lines": len(lines),
                      "first_pass_ids_per_second": round(len(ids) / first, 2),
                      "ids_per_second": round(len(ids) / seconds, 2), "milliseconds": round(seconds * 1000, 2),
                      "load_milliseconds": round(load * 1000, 2)}, sort_keys=True))


if __name__ == "__main__":
    main()
