"""The `torch` backend: our own PyTorch loop over the same features as the Trainer backend.

AdamW with weight-decay groups (no decay on biases and LayerNorm weights), linear warm-up and
decay, gradient clipping, gradient accumulation (the optimizer steps at ``(step + 1) % accum``
and after the last batch), bf16/fp16 autocast on GPU, dev evaluation each epoch, best epoch kept.

After each epoch the whole state (weights, optimizer, scheduler, grad scaler, the RNG states and the
shuffling generator's, the history and the best epoch's weights) is saved to ``work_dir/last.pt``
(through a temporary name); ``config.resume`` restores it and goes on with the next epoch, so the
final model equals an uninterrupted run's on the same device (CPU runs are deterministic).
"""

from __future__ import annotations

import copy
import math
import sys
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from ..outputs import atomic_write
from ..tagging import WordTagger
from .config import TrainConfig
from .data import Split
from .distill import TEACHER_KEY, DistillCollator, config_loss
from .metrics import epoch_line, score_model


def decay_groups(model, weight_decay: float) -> list[dict]:
    """Parameter groups as transformers' Trainer builds them: no decay for biases and norms."""
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight", "norm.weight")
    decay: list = []
    plain: list = []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (plain if any(name.endswith(nd) for nd in no_decay) else decay).append(param)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": plain, "weight_decay": 0.0}]


STATE_FILE = "last.pt"


def train_loop(
    config: TrainConfig,
    *,
    model,
    tokenizer,
    train_features: list[dict],
    dev: Split,
    device,
    work_dir: Path | None = None,
) -> list[dict]:
    """Train ``model`` in place; on return it holds the weights of the best epoch by dev F1
    (``config.keep == "best"``) or of the last one.

    With ``work_dir`` the state is saved there after each epoch; ``config.resume`` continues from it."""
    import torch
    from torch.utils.data import DataLoader
    from transformers import DataCollatorForTokenClassification, get_linear_schedule_with_warmup

    use_cuda = device.type == "cuda"
    amp_dtype = (torch.bfloat16 if use_cuda and torch.cuda.is_bf16_supported() else torch.float16) if use_cuda else None
    collator: Any = DataCollatorForTokenClassification(tokenizer, pad_to_multiple_of=8 if use_cuda else None)
    if config.teacher is not None:
        collator = DistillCollator(collator, n_labels=model.config.num_labels)
    generator = torch.Generator().manual_seed(config.seed)
    dataset: Any = train_features  # a list is a map-style dataset
    loader: DataLoader = DataLoader(
        dataset,
        batch_size=config.batch_size,
        shuffle=True,
        collate_fn=collator,
        generator=generator,
        pin_memory=use_cuda,
    )
    steps_per_epoch = math.ceil(len(loader) / config.grad_accum)
    total_steps = config.max_steps or math.ceil(steps_per_epoch * config.epochs)
    n_epochs = math.ceil(total_steps / steps_per_epoch)

    model.to(device)
    optimizer = torch.optim.AdamW(decay_groups(model, config.weight_decay), lr=config.lr, betas=(0.9, 0.999), eps=1e-8)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total_steps), total_steps)
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    tagger = WordTagger(
        model,
        tokenizer,
        id2label=model.config.id2label,
        max_length=config.max_length,
        context=config.resolved_context,
        device=device,
        precision="fp32",
        word_shapes=config.word_shapes,
    )

    history: list[dict] = []
    best_f1, best_state = -1.0, None
    step = 0
    first_epoch = 0
    state_path = work_dir / STATE_FILE if work_dir is not None else None
    if config.resume and state_path is not None and state_path.is_file():
        state = torch.load(state_path, map_location="cpu", weights_only=True)  # tensors and plain data only
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["rng"])
        generator.set_state(state["generator"])
        if use_cuda and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        first_epoch, step, history = state["epoch"], state["step"], state["history"]
        best_f1, best_state = state["best_f1"], state["best_state"]
        print(f"resuming after epoch {first_epoch} (step {step} of {total_steps})", file=sys.stderr)
    progress = tqdm(total=total_steps, initial=step, desc="train", unit="step", file=sys.stderr, dynamic_ncols=True)
    for epoch in range(first_epoch, n_epochs):
        if step >= total_steps:
            break
        model.train()
        running, n_loss = 0.0, 0
        optimizer.zero_grad(set_to_none=True)
        for batch_idx, batch in enumerate(loader):
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
            teacher = batch.pop(TEACHER_KEY, None)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                outputs = model(**batch)
            loss = outputs.loss if teacher is None else config_loss(config, outputs.logits, batch["labels"], teacher)
            loss = loss / config.grad_accum
            scaler.scale(loss).backward()
            running += loss.item() * config.grad_accum
            n_loss += 1
            last_batch = batch_idx + 1 == len(loader)
            if (batch_idx + 1) % config.grad_accum == 0 or last_batch:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                scaler.step(optimizer)
                scaler.update()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                progress.update(1)
                progress.set_postfix(loss=f"{running / n_loss:.4f}", lr=f"{scheduler.get_last_lr()[0]:.2e}")
                if step >= total_steps:
                    break
        scores = score_model(dev, tagger)
        epoch_mark = round(
            epoch + 1 if step < total_steps or n_epochs * steps_per_epoch == total_steps else step / steps_per_epoch, 2
        )
        history.append({"epoch": epoch_mark, "train_loss": running / max(n_loss, 1), "dev": scores})
        progress.write(epoch_line(epoch_mark, scores, running / max(n_loss, 1)))
        if config.keep == "best" and scores["overall"]["f1"] > best_f1:
            best_f1 = scores["overall"]["f1"]
            best_state = copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()})
        if state_path is not None:
            _save_state(
                state_path,
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "scaler": scaler.state_dict(),
                    "rng": torch.get_rng_state(),
                    "generator": generator.get_state(),
                    "cuda_rng": torch.cuda.get_rng_state_all() if use_cuda else None,
                    "epoch": epoch + 1,
                    "step": step,
                    "history": history,
                    "best_f1": best_f1,
                    "best_state": best_state,
                },
            )
        if step >= total_steps:
            break
    progress.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def _save_state(path: Path, state: dict) -> None:
    import torch

    with atomic_write(path, resumable=True) as tmp:
        torch.save(state, tmp)
