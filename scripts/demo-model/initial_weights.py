#!/usr/bin/env python3
"""Writes seeded initial weights for the demo model with transformers' own CLIP initializer (dev-only).

`clip-search train --from-scratch` draws every weight from N(0, 0.02), which for a model this narrow leaves
the towers' outputs nearly constant and contrastive training on the ln(batch) plateau; transformers'
initializer scales each matrix by its width and depth, and zeroes the biases, which trains.

usage: initial_weights.py <model-folder-with-config.json> <seed>
"""
import sys

import torch
from transformers import CLIPConfig, CLIPModel

folder, seed = sys.argv[1], int(sys.argv[2])
torch.manual_seed(seed)
model = CLIPModel(CLIPConfig.from_pretrained(folder))
model.save_pretrained(folder, safe_serialization=True)
