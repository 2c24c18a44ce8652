"""Imported first by every process of the DeepSpeed recipe test (run_script's ``shims``) to
run ESPnet's DeepSpeedTrainer on a machine without a GPU, changing only where tensors live:

- the trainer places tensors with ``.cuda()`` and ``to_device(..., "cuda")``: both go to the
  CPU (DeepSpeed itself runs on its CPU accelerator, DS_ACCELERATOR=cpu, over gloo);
- DeepSpeed's shared-memory allreduce (a C++ extension compiled at first use, over 2 minutes
  on 2 cores) is left out: torch.distributed's gloo allreduce does the same sums.

ZeRO-2 partitioning, the engine's optimizer, scheduler and checkpoints, and ESPnet's model
averaging run as written."""

import importlib

import torch

if not torch.cuda.is_available():
    torch.Tensor.cuda = lambda self, *args, **kwargs: self

    import espnet2.train.deepspeed_trainer as trainer

    # (the submodule: the attribute deepspeed.comm.torch is PyTorch, star-imported over it)
    importlib.import_module("deepspeed.comm.torch").build_shm_op = lambda: None
    _to_device = trainer.to_device

    def to_device(data, device=None, dtype=None, non_blocking=False, copy=False):
        device = "cpu" if device == "cuda" else device
        return _to_device(data, device, dtype, non_blocking, copy)

    trainer.to_device = to_device
