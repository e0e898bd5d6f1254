"""Pretend this CPU has AMX, to run the whole suite on the AMX code path on any CPU:

    PYTHONPATH=tests/fake_amx python -m pytest

Once torch is imported anywhere (the tests and every process they start), torch.cpu._is_amx_tile_supported()
answers True, so ``model.bf16 = "auto"`` trains under bf16 autocast as on an AMX machine. Not part of the
default run: a CPU without fast bf16 runs it slower."""
import importlib.abc
import importlib.machinery
import sys


class _FakeAmx(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "torch":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            module.cpu._is_amx_tile_supported = lambda: True

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _FakeAmx())
