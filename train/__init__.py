"""Training of attest's learned parts, each reproducible with one command (``attest train ...``)
from data in the repository, with a fixed seed: the answer-sentence selector, and the LoRA writer.

Imports flow: corpus -> embeddings -> rag -> {ui, eval} -> train -> attest.
"""
