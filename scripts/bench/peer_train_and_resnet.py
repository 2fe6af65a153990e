"""Dev-only peers for `clip-search bench-train` and `bench-resnet`, on the same machine and threads.

  python3 scripts/bench/peer_train_and_resnet.py [--threads 2] [--batch 32] [--steps 3]

Training: transformers CLIPModel with ViT-B/32 shapes and random weights, full fine-tuning with AdamW
(lr 1e-5), contrastive loss (return_loss=True), `--batch` pairs of 224×224 images and 20-token captions,
one untimed warm-up step, then the mean time of `--steps` optimizer steps → pairs/s.
ResNet: open_clip's RN50 image tower (random weights, eval, no grad), images/s at batch 1 and 8 (median of 5).
Prints one JSON object.
"""
import argparse
import json
import statistics
import time

import torch


def training_pairs_per_second(batch, steps):
    from transformers import CLIPConfig, CLIPModel
    configuration = CLIPConfig.from_dict({
        "projection_dim": 512,
        "text_config": {"hidden_size": 512, "intermediate_size": 2048, "num_attention_heads": 8, "num_hidden_layers": 12},
        "vision_config": {"hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
                          "num_hidden_layers": 12, "patch_size": 32, "image_size": 224},
    })
    torch.manual_seed(0)
    model = CLIPModel(configuration).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    pixels = torch.randn(batch, 3, 224, 224)
    ids = torch.randint(400, 40000, (batch, 20))
    ids[:, 0], ids[:, -1] = 49406, 49407

    def step():
        optimizer.zero_grad()
        model(input_ids=ids, pixel_values=pixels, return_loss=True).loss.backward()
        optimizer.step()

    step()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - started)


def resnet_images_per_second(batch):
    import open_clip
    model = open_clip.create_model("RN50", pretrained=None).visual.eval()
    pixels = torch.randn(batch, 3, 224, 224)
    with torch.no_grad():
        model(pixels)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            model(pixels)
            times.append(time.perf_counter() - started)
    return batch / statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=3)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    result = {"torch": torch.__version__, "threads": arguments.threads}
    result["rn50_images_per_second_batch1"] = round(resnet_images_per_second(1), 2)
    result["rn50_images_per_second_batch8"] = round(resnet_images_per_second(8), 2)
    result[f"train_pairs_per_second_batch{arguments.batch}"] = round(training_pairs_per_second(arguments.batch, arguments.steps), 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
