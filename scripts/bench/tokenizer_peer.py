#!/usr/bin/env python3
"""Tokenization throughput of the peers on one long text (dev-only): Hugging Face `tokenizers` (Rust) for a
tokenizer.json, Google's `sentencepiece` (C++) for a model file. Prints one JSON line with the same fields as
`clip-search bench-tokenizer --json` (ids, id_sum, ids_per_second, milliseconds, load_milliseconds), so the
two can be compared and checked for identical output.

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
    ids = encode(text)
    times = []
    deadline = time.perf_counter() + args.seconds
    while not times or (time.perf_counter() < deadline and len(times) < 1000):
        begin = time.perf_counter()
        encode(text)
        times.append(time.perf_counter() - begin)
    seconds = statistics.median(times)
    print(json.dumps({"ids": len(ids), "id_sum": sum(ids), "bytes": len(text.encode()),
                      "ids_per_second": round(len(ids) / seconds, 2), "milliseconds": round(seconds * 1000, 2),
                      "load_milliseconds": round(load * 1000, 2)}, sort_keys=True))


if __name__ == "__main__":
    main()
