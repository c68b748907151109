"""The `trainer` backend: transformers.Trainer over the shared features."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..outputs import atomic_write_text
from ..scoring import Scores
from .config import TrainConfig
from .data import Split
from .distill import TEACHER_KEY, DistillCollator, config_loss
from .metrics import epoch_line, score_window_predictions


def train_with_trainer(
    config: TrainConfig,
    *,
    model,
    tokenizer,
    train_features: list[dict],
    dev: Split,
    dev_features: list[dict],
    work_dir: Path,
    device,
) -> list[dict]:
    """Train ``model`` in place; on return it holds the weights of the best epoch by dev F1
    (``config.keep == "best"``) or of the last one.

    Returns the per-epoch history ``[{"epoch", "train_loss", "dev": scores}, ...]``. Checkpoints
    (weights, optimizer, scheduler, RNG states) go to ``work_dir`` each epoch; with
    ``config.resume`` training continues from the last one, as transformers' ``Trainer`` resumes.
    """
    import torch
    from datasets import Dataset
    from transformers import DataCollatorForTokenClassification, Trainer, TrainerCallback, TrainingArguments
    from transformers.trainer_utils import get_last_checkpoint

    labels = tuple(model.config.id2label[i] for i in sorted(model.config.id2label))
    steps_per_epoch = math.ceil(len(train_features) / (config.batch_size * config.grad_accum))
    total_steps = config.max_steps or math.ceil(steps_per_epoch * config.epochs)
    history_path = work_dir / "history.json"
    history: list[dict] = (
        json.loads(history_path.read_text(encoding="utf-8")) if config.resume and history_path.is_file() else []
    )
    last_dev: list[Scores] = []  # the scores of the latest evaluation

    def preprocess_logits(logits, _labels):
        return torch.log_softmax(logits.float(), dim=-1)

    def compute_metrics(prediction) -> dict:
        scores = score_window_predictions(dev, np.asarray(prediction.predictions), labels)
        last_dev[:] = [scores]
        o = scores["overall"]
        return {"f1": o["f1"], "precision": o["precision"], "recall": o["recall"], "f1_strict": o["f1_strict"]}

    class EpochLine(TrainerCallback):
        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            losses = [h["loss"] for h in state.log_history if "loss" in h]
            loss = float(np.mean(losses[-max(1, steps_per_epoch // max(args.logging_steps, 1)) :])) if losses else None
            epoch = round(state.epoch or 0, 2)
            history[:] = [h for h in history if h["epoch"] < epoch]  # an epoch evaluated again after a resume
            history.append({"epoch": epoch, "train_loss": loss, "dev": last_dev[0]})
            atomic_write_text(history_path, json.dumps(history))
            print(epoch_line(epoch, last_dev[0], loss), file=sys.stderr, flush=True)

    use_cuda = device.type == "cuda"
    bf16 = use_cuda and torch.cuda.is_bf16_supported()
    args = TrainingArguments(
        output_dir=str(work_dir),
        learning_rate=config.lr,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=max(config.batch_size, 32),
        gradient_accumulation_steps=config.grad_accum,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps or -1,
        warmup_steps=int(config.warmup_ratio * total_steps),
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        lr_scheduler_type="linear",
        eval_strategy="steps" if config.max_steps else "epoch",
        save_strategy="steps" if config.max_steps else "epoch",
        eval_steps=config.max_steps,
        save_steps=config.max_steps or 500,  # used only with max_steps (else the strategy is "epoch")
        load_best_model_at_end=config.keep == "best",
        metric_for_best_model="f1",
        greater_is_better=True,
        save_total_limit=1,
        save_only_model=False,  # optimizer, scheduler and RNG states too: --resume continues exactly
        logging_steps=max(1, min(50, steps_per_epoch // 4)),
        seed=config.seed,
        data_seed=config.seed,
        bf16=bf16,
        fp16=use_cuda and not bf16,
        use_cpu=not use_cuda,
        report_to="none",
        dataloader_num_workers=0,
        disable_tqdm=False,
        remove_unused_columns=config.teacher is None,  # the teacher's scores reach the collator and the loss
    )
    collator: Any = DataCollatorForTokenClassification(tokenizer, pad_to_multiple_of=8 if use_cuda else None)
    trainer_class: Any = Trainer
    if config.teacher is not None:
        collator = DistillCollator(collator, n_labels=model.config.num_labels)
        trainer_class = _distilling_trainer(Trainer, config)
    trainer = trainer_class(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(train_features),
        eval_dataset=Dataset.from_list(dev_features),
        data_collator=collator,
        processing_class=tokenizer,
        compute_metrics=compute_metrics,
        preprocess_logits_for_metrics=preprocess_logits,
        callbacks=[EpochLine()],
    )
    checkpoint = get_last_checkpoint(str(work_dir)) if config.resume else None
    trainer.train(resume_from_checkpoint=checkpoint)
    return history


def _distilling_trainer(trainer_class, config: TrainConfig):
    """``Trainer`` whose training loss is the distillation loss where a batch holds the teacher's
    scores (evaluation batches do not: their loss is the model's own)."""

    class DistillingTrainer(trainer_class):
        loss_is_scaled_for_ga = False  # a mean over the batch: the Trainer divides it by --grad-accum, as the loop does

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            teacher = inputs.pop(TEACHER_KEY, None)
            if teacher is None:
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            outputs = model(**inputs)
            loss = config_loss(config, outputs.logits, inputs["labels"], teacher)
            return (loss, outputs) if return_outputs else loss

    return DistillingTrainer
