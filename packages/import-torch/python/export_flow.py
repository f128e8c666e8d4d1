"""Export a trained zuko, nflows or normflows flow for @flows/import-torch.

    from export_flow import export_flow
    export_flow(flow, "exported/flow")   # writes exported/flow.safetensors and exported/flow.json

The safetensors file holds the flow's state_dict (parameters and buffers, as trained); the JSON
file describes the architecture: each transform's class and settings (bins, bounds, minimal bin
sizes, masks, orders, activations) and which state_dict entries hold its weights. `flows-import`
(or `importTorchFlow` in TypeScript) turns the pair into a model of the flows project.

The other way, `load_flow("model/flow")` builds the normflows flow that `exportTorchFlow` of
@flows/import-torch wrote from a Real NVP or NICE of the flows project, and loads its weights.

Depends on torch and the flow's library only (the `safetensors` package is used when installed;
otherwise the file is written here: an 8-byte header length, a JSON header, raw little-endian
arrays). A class the importer cannot reproduce exactly raises UnsupportedFlowError naming the
class and what is missing: nothing is exported approximately.
"""

import functools
import inspect
import json
import math
import os
import struct

import torch

FORMAT = "flows-torch-architecture"
FORMAT_VERSION = 1
EXPORTER_VERSION = "1"

__all__ = ["export_flow", "describe_flow", "load_flow", "read_safetensors", "UnsupportedFlowError", "write_safetensors"]


class UnsupportedFlowError(ValueError):
    """A class (or a setting of one) that the importer cannot represent exactly."""

    def __init__(self, obj, missing):
        name = obj if isinstance(obj, str) else qualified_name(obj)
        super().__init__(f"{name}: {missing}")
        self.class_name = name


def qualified_name(obj):
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def library_of(obj):
    module = type(obj).__module__.split(".")[0]
    if module not in ("zuko", "nflows", "normflows"):
        raise UnsupportedFlowError(obj, "not a zuko, nflows or normflows flow (export_flow reads those three libraries)")
    return module


# ---- safetensors ---------------------------------------------------------------------------------

_DTYPES = {
    torch.float32: "F32",
    torch.float64: "F64",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.bool: "BOOL",
    torch.uint8: "U8",
}


def write_safetensors(tensors, path, metadata=None):
    """Writes a dict of tensors as safetensors (with the `safetensors` package when installed)."""
    tensors = {name: t.detach().cpu().contiguous() for name, t in tensors.items()}
    try:
        from safetensors.torch import save_file  # noqa: PLC0415

        save_file({k: v.clone() for k, v in tensors.items()}, path, metadata=metadata)
        return
    except ImportError:
        pass
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype not in _DTYPES:
            raise UnsupportedFlowError(name, f"tensor dtype {t.dtype} has no safetensors name here")
        if t.dtype == torch.bfloat16:
            data = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            array = t.numpy()
            data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)
    os.replace(temporary, path)


# ---- shared pieces ---------------------------------------------------------------------------------


class _Keys:
    """state_dict keys of the flow's parameters and buffers, looked up by tensor identity."""

    def __init__(self, module):
        self.by_id = {}
        for key, tensor in module.state_dict(keep_vars=True).items():
            self.by_id.setdefault(id(tensor), key)

    def __call__(self, tensor, owner="a tensor"):
        if tensor is None:
            return None
        key = self.by_id.get(id(tensor))
        if key is None:
            raise UnsupportedFlowError(owner, "a parameter outside the flow's state_dict (not saved by state_dict(), so it cannot be exported)")
        return key


def activation_name(activation, owner):
    """The flows project's name of a PyTorch activation (module, class or function)."""
    a = activation
    if isinstance(a, functools.partial):
        raise UnsupportedFlowError(owner, f"activation {a!r} (a partial) is not one the flows project has")
    if isinstance(a, type):
        try:
            a = a()
        except TypeError as error:
            raise UnsupportedFlowError(owner, f"activation class {a.__name__} cannot be inspected: {error}") from error
    nn = torch.nn
    F = torch.nn.functional
    if isinstance(a, nn.ReLU) or a in (F.relu, torch.relu):
        return "relu"
    if isinstance(a, nn.Tanh) or a in (torch.tanh, F.tanh):
        return "tanh"
    if isinstance(a, nn.Sigmoid) or a in (torch.sigmoid, F.sigmoid):
        return "sigmoid"
    if isinstance(a, nn.SiLU) or a is F.silu:
        return "swish"
    if isinstance(a, nn.ELU):
        if a.alpha != 1.0:
            raise UnsupportedFlowError(owner, f"ELU with alpha {a.alpha} (the flows project's elu has alpha 1)")
        return "elu"
    if a is F.elu:
        return "elu"
    if isinstance(a, nn.LeakyReLU):
        if a.negative_slope == 0.0:
            return "relu"
        if abs(a.negative_slope - 0.01) > 1e-12:
            raise UnsupportedFlowError(owner, f"LeakyReLU with slope {a.negative_slope} (the flows project's leakyRelu has slope 0.01)")
        return "leakyRelu"
    if a is F.leaky_relu:
        return "leakyRelu"
    if isinstance(a, nn.Softplus):
        if a.beta != 1 or a.threshold != 20:
            raise UnsupportedFlowError(owner, f"Softplus with beta {a.beta}, threshold {a.threshold} (the flows project's softplus has beta 1)")
        return "softplus"
    if a is F.softplus:
        return "softplus"
    if isinstance(a, nn.Identity):
        return "linear"
    raise UnsupportedFlowError(owner, f"activation {a!r} is not one the flows project has (relu, tanh, elu, leakyRelu 0.01, sigmoid, softplus, swish)")


def linear_layer(layer, keys, mask=None):
    if getattr(layer, "bias", None) is None:
        raise UnsupportedFlowError(layer, "a linear layer without a bias (the flows project's layers all have one)")
    weight = layer.weight
    if weight.dim() != 2:
        raise UnsupportedFlowError(layer, "stacked linear weights (zuko's stack=) are not supported")
    entry = {"weight": keys(weight, layer), "bias": keys(layer.bias, layer), "inputs": weight.shape[1], "outputs": weight.shape[0]}
    if mask is not None:
        entry["mask"] = keys(mask, layer)
    return entry


def sequential_network(modules, keys, owner):
    """A plain stack: linear (masked or not) layers and activations, dropout (inactive) skipped."""
    steps = []
    nn = torch.nn
    for module in modules:
        name = type(module).__name__
        if isinstance(module, nn.Dropout):
            continue
        if hasattr(module, "mask") and isinstance(module, nn.Linear):
            steps.append({"linear": linear_layer(module, keys, module.mask)})
        elif isinstance(module, nn.Linear) or name in ("Linear",) and hasattr(module, "weight"):
            steps.append({"linear": linear_layer(module, keys)})
        elif isinstance(module, (nn.LayerNorm, nn.BatchNorm1d)) or name == "LayerNorm":
            raise UnsupportedFlowError(module, f"normalization layers inside {qualified_name(owner)}'s network are not supported")
        elif name == "Residual":
            # zuko's Residual is an nn.Sequential: check it before flattening sequences.
            raise UnsupportedFlowError(module, "zuko's residual MaskedMLP blocks (residual=True) are not supported")
        elif isinstance(module, nn.Sequential):
            steps.extend(sequential_network(module, keys, owner)["steps"])
        elif name in ("ConstScaleLayer", "ClampExp"):
            raise UnsupportedFlowError(module, f"normflows {name} output layers are not supported")
        else:
            steps.append({"activation": activation_name(module, owner)})
    return {"type": "sequential", "steps": steps}


def any_network(net, keys, owner):
    """A conditioner network: nn.Sequential-like stacks, nflows/normflows MLP, ResidualNet, MADE."""
    name = type(net).__name__
    library = type(net).__module__.split(".")[0]
    if name in ("MLP", "MaskedMLP") and library == "zuko":
        return sequential_network(net, keys, owner)
    if name == "MLP" and library == "nflows":
        if net._activate_output:
            raise UnsupportedFlowError(net, "activate_output=True is not supported")
        layers = [net._input_layer, *net._hidden_layers]
        steps = []
        for layer in layers:
            steps.append({"linear": linear_layer(layer, keys)})
            steps.append({"activation": activation_name(net._activation, net)})
        steps.append({"linear": linear_layer(net._output_layer, keys)})
        return {"type": "sequential", "steps": steps}
    if name == "MLP" and library == "normflows":
        return sequential_network(net.net, keys, owner)
    if name == "ResidualNet":
        return residual_net(net, keys, library)
    if name == "MADE":
        return made_network(net, keys, library)
    if isinstance(net, torch.nn.Sequential):
        return sequential_network(net, keys, owner)
    if isinstance(net, torch.nn.Linear):
        return {"type": "sequential", "steps": [{"linear": linear_layer(net, keys)}]}
    if isinstance(net, torch.nn.Identity):
        return {"type": "identity"}
    raise UnsupportedFlowError(net, f"a network of class {qualified_name(net)} in {qualified_name(owner)} (export reads nn.Sequential stacks of Linear layers and activations, nn.Linear, the libraries' MLP, MADE and ResidualNet)")


def residual_net(net, keys, library):
    if getattr(net, "preprocessing", None) is not None:
        raise UnsupportedFlowError(net, "preprocessing (normflows' periodic features) is not supported")
    blocks = []
    for block in net.blocks:
        if block.use_batch_norm:
            raise UnsupportedFlowError(block, "batch norm inside residual blocks is not supported")
        blocks.append(
            {
                "linear0": linear_layer(block.linear_layers[0], keys),
                "linear1": linear_layer(block.linear_layers[1], keys),
                "context": linear_layer(block.context_layer, keys) if hasattr(block, "context_layer") else None,
                "activation": activation_name(block.activation, block),
            }
        )
    return {
        "type": f"{library}.ResidualNet",
        "hidden": net.hidden_features,
        "context": net.context_features or 0,
        "initial": linear_layer(net.initial_layer, keys),
        "blocks": blocks,
        "final": linear_layer(net.final_layer, keys),
    }


def made_network(net, keys, library):
    """nflows' or normflows' MADE: masked layers with their degrees, residual or feed-forward blocks."""
    if getattr(net, "preprocessing", None) is not None and not isinstance(net.preprocessing, torch.nn.Identity):
        raise UnsupportedFlowError(net, "preprocessing (normflows' periodic features) is not supported")
    if hasattr(net, "use_residual_blocks"):
        residual = bool(net.use_residual_blocks)
    else:
        residual = len(net.blocks) > 0 and type(net.blocks[0]).__name__ == "MaskedResidualBlock"
    blocks = []
    for block in net.blocks:
        if residual:
            if block.use_batch_norm:
                raise UnsupportedFlowError(block, "batch norm inside MADE blocks is not supported")
            blocks.append(
                {
                    "linear0": masked_layer(block.linear_layers[0], keys),
                    "linear1": masked_layer(block.linear_layers[1], keys),
                    "context": linear_layer(block.context_layer, keys) if hasattr(block, "context_layer") else None,
                    "activation": activation_name(block.activation, block),
                }
            )
        else:
            if block.batch_norm is not None:
                raise UnsupportedFlowError(block, "batch norm inside MADE blocks is not supported")
            blocks.append({"linear": masked_layer(block.linear, keys), "activation": activation_name(block.activation, block)})
    if hasattr(net, "activation"):
        activation = activation_name(net.activation, net)
    else:
        activation = blocks[0]["activation"] if blocks else "relu"
    return {
        "type": f"{library}.MADE",
        "residual": residual,
        "inputDegrees": _input_degrees(net),
        "initial": masked_layer(net.initial_layer, keys),
        "context": linear_layer(net.context_layer, keys) if hasattr(net, "context_layer") else None,
        "activation": activation,
        "blocks": blocks,
        "final": masked_layer(net.final_layer, keys),
    }


def _input_degrees(net):
    """The degrees the MADE gave its inputs: 1…D, or normflows' permuted ones (permute_mask)."""
    final = net.final_layer
    features = net.initial_layer.weight.shape[1]
    multiplier = final.weight.shape[0] // features
    # The output layer's degrees repeat each input's degree `multiplier` times (tile).
    return [int(v) for v in final.degrees.reshape(features, multiplier)[:, 0].tolist()]


def masked_layer(layer, keys):
    entry = linear_layer(layer, keys, layer.mask)
    entry["degrees"] = keys(layer.degrees, layer)
    return entry


def values(tensor):
    return tensor.detach().cpu().reshape(-1).tolist()


# ---- zuko ----------------------------------------------------------------------------------------


def univariate_of(lazy):
    """zuko's univariate transform constructor and its keyword settings (partials unwrapped)."""
    f = lazy.univariate
    settings = {}
    while isinstance(f, functools.partial):
        settings = {**f.keywords, **settings}
        if f.args:
            raise UnsupportedFlowError(lazy, "a univariate partial with positional arguments")
        f = f.func
    name = getattr(f, "__name__", repr(f))
    signature = inspect.signature(f)
    for parameter in signature.parameters.values():
        if parameter.default is not inspect.Parameter.empty and parameter.name not in settings:
            settings[parameter.name] = parameter.default
    return name, {k: v for k, v in settings.items() if isinstance(v, (int, float, bool, str))}


def zuko_transform(t, keys, context):
    name = type(t).__name__
    if name == "MaskedAutoregressiveTransform":
        univariate, settings = univariate_of(t)
        if t.order is None:
            raise UnsupportedFlowError(t, "a custom adjacency matrix (only orders and passes are supported)")
        return {
            "type": "zuko.MaskedAutoregressiveTransform",
            "univariate": univariate,
            "settings": settings,
            "shapes": [list(s) for s in t.shapes],
            "passes": t.passes,
            "order": [int(v) for v in t.order.tolist()],
            "network": any_network(t.hyper, keys, t),
        }
    if name == "GeneralCouplingTransform":
        univariate, settings = univariate_of(t)
        return {
            "type": "zuko.GeneralCouplingTransform",
            "univariate": univariate,
            "settings": settings,
            "shapes": [list(s) for s in t.shapes],
            "mask": [bool(v) for v in t.mask.tolist()],
            "network": any_network(t.hyper, keys, t),
        }
    if name == "LazyComposedTransform":
        return [zuko_transform(inner, keys, context) for inner in t.transforms]
    if name == "ElementWiseTransform":
        raise UnsupportedFlowError(t, "zuko's element-wise transform (flows of one feature) is not supported")
    raise UnsupportedFlowError(t, "this zuko transform is not imported (supported: the masked autoregressive and coupling transforms of MAF, NSF, RealNVP and NICE)")


def zuko_base(base, keys):
    f = getattr(base, "f", None)
    if type(base).__name__ != "UnconditionalDistribution" or getattr(f, "__name__", "") != "DiagNormal":
        raise UnsupportedFlowError(base, "base distributions other than zuko's unconditional DiagNormal are not supported")
    parts = [*base.args, *base.kwargs.values()]
    if len(parts) != 2 or not all(torch.is_tensor(p) for p in parts):
        raise UnsupportedFlowError(base, "a DiagNormal base whose loc and scale are not two tensors")
    loc, scale = parts
    if bool(torch.all(loc == 0)) and bool(torch.all(scale == 1)):
        return {"type": "StandardNormal"}
    return {"type": "zuko.DiagNormal", "loc": keys(loc, base), "scale": keys(scale, base)}


def describe_zuko(flow, keys):
    if type(flow).__name__ in ("NAF", "UNAF", "SOSPF", "BPF", "GF", "CNF", "FFJTransform"):
        raise UnsupportedFlowError(flow, "this zuko flow's transformer (monotonic networks, polynomials, Gaussianization, continuous) has no counterpart in the flows project")
    transforms = flow.transform.transforms if type(flow.transform).__name__ == "LazyComposedTransform" else [flow.transform]
    described = []
    for t in transforms:
        entry = zuko_transform(t, keys, None)
        described.extend(entry if isinstance(entry, list) else [entry])
    first = transforms[0]
    context = 0
    hyper = getattr(first, "hyper", None)
    if hyper is not None:
        features_in = hyper[0].weight.shape[1]
        if type(first).__name__ == "MaskedAutoregressiveTransform":
            context = features_in - len(first.order)
        else:
            context = features_in - int(first.mask.sum())
    features = len(first.order) if hasattr(first, "order") and first.order is not None else len(first.mask)
    return {"features": features, "context": context, "direction": "data-to-base", "transforms": described, "base": zuko_base(flow.base, keys), "embedding": None}


# ---- nflows --------------------------------------------------------------------------------------


def nflows_transform(t, keys):
    name = type(t).__name__
    if name == "CompositeTransform":
        out = []
        for inner in t._transforms:
            entry = nflows_transform(inner, keys)
            out.extend(entry if isinstance(entry, list) else [entry])
        return out
    if name == "MaskedAffineAutoregressiveTransform":
        return {"type": "nflows.MaskedAffineAutoregressiveTransform", "features": t.features, "epsilon": t._epsilon, "scale": _nflows_maf_scale(t), "network": any_network(t.autoregressive_net, keys, t)}
    if name == "MaskedPiecewiseRationalQuadraticAutoregressiveTransform":
        return {"type": "nflows.MaskedPiecewiseRationalQuadraticAutoregressiveTransform", **spline_settings(t), "rawDivisor": raw_divisor(t.autoregressive_net), "network": any_network(t.autoregressive_net, keys, t)}
    if name == "PiecewiseRationalQuadraticCouplingTransform":
        return coupling_spline(t, keys, "nflows")
    if name in ("AffineCouplingTransform", "AdditiveCouplingTransform"):
        if t.unconditional_transform is not None:
            raise UnsupportedFlowError(t, "an unconditional transform on the identity features is not supported for affine couplings")
        from nflows.transforms.coupling import AffineCouplingTransform  # noqa: PLC0415

        if name == "AdditiveCouplingTransform":
            scale = "none"
        elif t.scale_activation is AffineCouplingTransform.DEFAULT_SCALE_ACTIVATION:
            scale = "sigmoid"
        elif t.scale_activation is AffineCouplingTransform.GENERAL_SCALE_ACTIVATION:
            raise UnsupportedFlowError(t, "GENERAL_SCALE_ACTIVATION ((softplus(x) + 1e-3).clamp(0, 3)) clamps the scale, which no flows transformer does")
        else:
            raise UnsupportedFlowError(t, "a custom scale_activation (only the default sigmoid(x + 2) + 1e-3 is supported)")
        return {
            "type": f"nflows.{name}",
            "scale": scale,
            "identityFeatures": values(t.identity_features),
            "transformFeatures": values(t.transform_features),
            "network": any_network(t.transform_net, keys, t),
        }
    if name in ("Permutation", "RandomPermutation", "ReversePermutation"):
        if t._dim != 1:
            raise UnsupportedFlowError(t, "permutations along a dimension other than 1")
        return {"type": "nflows.Permutation", "permutation": [int(v) for v in t._permutation.tolist()]}
    if name == "BatchNorm":
        if t.training:
            raise UnsupportedFlowError(t, "BatchNorm in training mode uses batch statistics; call flow.eval() before exporting")
        return {
            "type": "nflows.BatchNorm",
            "eps": t.eps,
            "unconstrainedWeight": keys(t.unconstrained_weight, t),
            "bias": keys(t.bias, t),
            "runningMean": keys(t.running_mean, t),
            "runningVar": keys(t.running_var, t),
        }
    if name == "LULinear":
        return {
            "type": "nflows.LULinear",
            "features": t.features,
            "eps": t.eps,
            "lowerEntries": keys(t.lower_entries, t),
            "upperEntries": keys(t.upper_entries, t),
            "unconstrainedUpperDiag": keys(t.unconstrained_upper_diag, t),
            "bias": keys(t.bias, t),
        }
    raise UnsupportedFlowError(
        t,
        "this nflows transform is not imported (supported: MaskedAffineAutoregressiveTransform, MaskedPiecewiseRationalQuadraticAutoregressiveTransform, "
        "PiecewiseRationalQuadraticCouplingTransform, AffineCouplingTransform, AdditiveCouplingTransform, permutations, BatchNorm, LULinear)",
    )


def _nflows_maf_scale(t):
    # nflows switched MaskedAffineAutoregressiveTransform from sigmoid(x + 2) to softplus(x); read the source in use.
    source = inspect.getsource(type(t)._elementwise_forward)
    live = [line.split("#")[0] for line in source.splitlines()]
    if any("softplus" in line for line in live):
        return "softplus"
    if any("sigmoid" in line for line in live):
        return "sigmoid"
    raise UnsupportedFlowError(t, "cannot tell which scale function this nflows version uses")


def spline_settings(t):
    tails = t.tails
    if tails != "linear":
        raise UnsupportedFlowError(t, f"tails={tails!r}: only linear tails are supported (the spline on [-B, B] with the identity outside)")
    if torch.is_tensor(t.tail_bound):
        raise UnsupportedFlowError(t, "a tail bound per feature is not supported")
    return {
        "bins": t.num_bins,
        "tailBound": float(t.tail_bound),
        "minBinWidth": t.min_bin_width,
        "minBinHeight": t.min_bin_height,
        "minDerivative": t.min_derivative,
    }


def raw_divisor(net):
    """nflows and normflows divide raw widths and heights by sqrt(hidden_features) when the net has that attribute."""
    if hasattr(net, "hidden_features"):
        return math.sqrt(net.hidden_features)
    if hasattr(net, "hidden_channels"):
        raise UnsupportedFlowError(net, "convolutional transform networks are not supported")
    return 1.0


def coupling_spline(t, keys, library):
    unconditional = None
    if t.unconditional_transform is not None:
        u = t.unconditional_transform
        if type(u).__name__ != "PiecewiseRationalQuadraticCDF":
            raise UnsupportedFlowError(u, "only rational-quadratic unconditional transforms are supported")
        if u.tails != "linear" or torch.is_tensor(u.tail_bound):
            raise UnsupportedFlowError(u, "the unconditional spline needs linear tails and one tail bound")
        unconditional = {
            "bins": int(u.unnormalized_widths.shape[-1]),
            "widths": keys(u.unnormalized_widths, u),
            "heights": keys(u.unnormalized_heights, u),
            "derivatives": keys(u.unnormalized_derivatives, u),
            "tailBound": float(u.tail_bound),
            "minBinWidth": u.min_bin_width,
            "minBinHeight": u.min_bin_height,
            "minDerivative": u.min_derivative,
        }
    return {
        "type": f"{library}.PiecewiseRationalQuadraticCouplingTransform",
        **spline_settings(t),
        "rawDivisor": raw_divisor(t.transform_net),
        "identityFeatures": values(t.identity_features),
        "transformFeatures": values(t.transform_features),
        "unconditional": unconditional,
        "network": any_network(t.transform_net, keys, t),
    }


def nflows_base(d, keys):
    name = type(d).__name__
    if name == "StandardNormal":
        return {"type": "StandardNormal"}
    if name == "ConditionalDiagonalNormal":
        encoder = d._context_encoder
        if not isinstance(encoder, torch.nn.Module):
            # The default encoder is the identity (a lambda): the context is the parameters.
            probe = torch.arange(4.0).reshape(1, 4)
            if not torch.equal(encoder(probe), probe):
                raise UnsupportedFlowError(d, "a context encoder that is a plain function (give an nn.Module)")
            return {"type": "nflows.ConditionalDiagonalNormal", "network": {"type": "identity"}}
        return {"type": "nflows.ConditionalDiagonalNormal", "network": any_network(encoder, keys, d)}
    if name == "DiagonalNormal":
        return {"type": "nflows.DiagonalNormal", "mean": keys(d.mean_, d), "logStd": keys(d.log_std_, d)}
    raise UnsupportedFlowError(d, "this base distribution is not supported (StandardNormal, ConditionalDiagonalNormal, DiagonalNormal)")


def describe_nflows(flow, keys):
    transforms = nflows_transform(flow._transform, keys)
    transforms = transforms if isinstance(transforms, list) else [transforms]
    embedding = flow._embedding_net
    embedded = None if isinstance(embedding, torch.nn.Identity) else any_network(embedding, keys, flow)
    shape = getattr(flow._distribution, "_shape", None)
    features = int(shape[0]) if shape is not None else None
    return {"features": features, "direction": "data-to-base", "transforms": transforms, "base": nflows_base(flow._distribution, keys), "embedding": embedded}


# ---- normflows -----------------------------------------------------------------------------------


def normflows_flow(f, keys):
    name = type(f).__name__
    if name == "MaskedAffineFlow":
        return {
            "type": "normflows.MaskedAffineFlow",
            "mask": values(f.b),
            "scale": any_network(f.s, keys, f) if isinstance(f.s, torch.nn.Module) else None,
            "translation": any_network(f.t, keys, f) if isinstance(f.t, torch.nn.Module) else None,
        }
    if name == "AffineCouplingBlock":
        split, coupling, merge = f.flows
        return {
            "type": "normflows.AffineCouplingBlock",
            "splitMode": split.mode,
            "scale": coupling.scale,
            "scaleMap": coupling.scale_map,
            "network": any_network(coupling.param_map, keys, coupling),
        }
    if name == "AutoregressiveRationalQuadraticSpline":
        t = f.mprqat
        return {"type": "normflows.AutoregressiveRationalQuadraticSpline", **spline_settings(t), "rawDivisor": raw_divisor(t.autoregressive_net), "network": any_network(t.autoregressive_net, keys, t)}
    if name == "CoupledRationalQuadraticSpline":
        return {**coupling_spline(f.prqct, keys, "normflows"), "type": "normflows.CoupledRationalQuadraticSpline"}
    if name == "ActNorm":
        if not bool(f.data_dep_init_done > 0):
            raise UnsupportedFlowError(f, "an ActNorm that has not seen data yet (its data-dependent initialisation would run on import)")
        if f.s.dim() != 2:
            raise UnsupportedFlowError(f, "ActNorm over images is not supported")
        return {"type": "normflows.ActNorm", "s": keys(f.s, f), "t": keys(f.t, f)}
    if name == "Permute":
        if f.mode == "shuffle":
            return {"type": "normflows.Permute", "permutation": [int(v) for v in f.perm.tolist()]}
        if f.mode == "swap":
            n = f.num_channels
            return {"type": "normflows.Permute", "permutation": list(range(n // 2, n)) + list(range(n // 2))}
        raise UnsupportedFlowError(f, f"Permute mode {f.mode!r}")
    raise UnsupportedFlowError(
        f,
        "this normflows flow is not imported (supported: MaskedAffineFlow, AffineCouplingBlock, AutoregressiveRationalQuadraticSpline, "
        "CoupledRationalQuadraticSpline, ActNorm, Permute)",
    )


def normflows_base(q0, keys):
    name = type(q0).__name__
    if name == "DiagGaussian":
        if len(q0.shape) != 1:
            raise UnsupportedFlowError(q0, "DiagGaussian over images is not supported")
        if q0.temperature is not None:
            raise UnsupportedFlowError(q0, "a DiagGaussian with a temperature set")
        return {"type": "normflows.DiagGaussian", "loc": keys(q0.loc, q0), "logScale": keys(q0.log_scale, q0), "trainable": isinstance(q0.loc, torch.nn.Parameter)}
    if name == "ConditionalDiagGaussian":
        return {"type": "normflows.ConditionalDiagGaussian", "network": any_network(q0.context_encoder, keys, q0)}
    raise UnsupportedFlowError(q0, "this base distribution is not supported (DiagGaussian, ConditionalDiagGaussian)")


def describe_normflows(flow, keys):
    name = type(flow).__name__
    if name not in ("NormalizingFlow", "ConditionalNormalizingFlow"):
        raise UnsupportedFlowError(flow, "only NormalizingFlow and ConditionalNormalizingFlow are supported (no multi-scale flows)")
    if getattr(flow, "p", None) is not None:
        pass  # the target distribution is not part of the model
    flows = [normflows_flow(f, keys) for f in flow.flows]
    q0 = flow.q0
    features = int(q0.shape[0]) if hasattr(q0, "shape") else None
    return {"features": features, "direction": "base-to-data", "transforms": flows, "base": normflows_base(q0, keys), "embedding": None}


# ---- entry points --------------------------------------------------------------------------------


def library_version(library):
    module = __import__(library)
    version = getattr(module, "__version__", None)
    if version is None and library == "nflows":
        from nflows.version import __version__ as version  # noqa: PLC0415
    return version or "unknown"


def describe_flow(flow, features=None, context=None):
    """The architecture description (a dict) of a live flow; raises UnsupportedFlowError."""
    library = library_of(flow)
    keys = _Keys(flow)
    described = {"zuko": describe_zuko, "nflows": describe_nflows, "normflows": describe_normflows}[library](flow, keys)
    if features is not None:
        described["features"] = features
    if described.get("features") is None:
        raise UnsupportedFlowError(flow, "cannot tell the number of features: pass features=")
    if context is not None:
        described["context"] = context
    described.setdefault("context", None)
    return {
        "format": FORMAT,
        "formatVersion": FORMAT_VERSION,
        "exporter": EXPORTER_VERSION,
        "library": library,
        "libraryVersion": library_version(library),
        "torchVersion": torch.__version__,
        "flowClass": qualified_name(flow),
        **described,
    }


def export_flow(flow, prefix, features=None, context=None):
    """Writes `<prefix>.safetensors` (the state_dict) and `<prefix>.json` (the description)."""
    was_training = flow.training
    flow.eval()
    try:
        description = describe_flow(flow, features=features, context=context)
    finally:
        flow.train(was_training)
    directory = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(directory, exist_ok=True)
    state = flow.state_dict()
    description["weights"] = os.path.basename(prefix) + ".safetensors"
    write_safetensors(state, prefix + ".safetensors", metadata={"format": "pt", "library": description["library"]})
    temporary = f"{prefix}.json.tmp-{os.getpid()}"
    with open(temporary, "w") as f:
        json.dump(description, f, indent=1)
    os.replace(temporary, prefix + ".json")
    return description


# ---- the other direction: a flow of the flows project as a normflows flow -------------------------

_NUMPY_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4", "BOOL": "?", "U8": "u1"}


def read_safetensors(path):
    """The tensors of a safetensors file (with the `safetensors` package when installed)."""
    try:
        from safetensors.torch import load_file  # noqa: PLC0415

        return load_file(path)
    except ImportError:
        pass
    import numpy as np  # noqa: PLC0415

    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    if length > len(data) - 8:
        raise ValueError(f"{path}: header length {length} exceeds the file")
    header = json.loads(data[8 : 8 + length])
    start = 8 + length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        if entry["dtype"] not in _NUMPY_DTYPES:
            raise ValueError(f"{path}: tensor {name}: dtype {entry['dtype']} is not read here")
        array = np.frombuffer(data[start + begin : start + end], dtype=_NUMPY_DTYPES[entry["dtype"]]).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def _normflows_mlp(network, tanh_allowed):
    import normflows as nf  # noqa: PLC0415

    steps = network["steps"]
    linears = [step["linear"] for step in steps if "linear" in step]
    activations = [step["activation"] for step in steps if "activation" in step]
    final = None
    if len(activations) == len(linears):
        final = activations.pop()
    if final not in (None, "tanh") or (final == "tanh" and not tanh_allowed):
        raise UnsupportedFlowError("normflows.nets.MLP", f"a final {final} activation")
    if len(set(activations)) > 1 or (activations and activations[0] not in ("relu", "leakyRelu")):
        raise UnsupportedFlowError("normflows.nets.MLP", f"activations {activations} (leaky ReLUs only)")
    leaky = 0.01 if activations and activations[0] == "leakyRelu" else 0.0
    sizes = [linears[0]["inputs"]] + [layer["outputs"] for layer in linears]
    return nf.nets.MLP(sizes, leaky=leaky, output_fn="tanh" if final == "tanh" else None)


def load_flow(prefix):
    """The normflows NormalizingFlow that `exportTorchFlow` (@flows/import-torch) wrote to `<prefix>.safetensors` and `<prefix>.json`."""
    import normflows as nf  # noqa: PLC0415

    with open(prefix + ".json") as f:
        description = json.load(f)
    if description.get("format") != FORMAT or description.get("library") != "normflows" or description.get("direction") != "base-to-data":
        raise ValueError(f"{prefix}.json: not a normflows flow written by exportTorchFlow")
    features = description["features"]
    flows = []
    for node in description["transforms"]:
        kind = node["type"]
        if kind == "normflows.MaskedAffineFlow":
            b = torch.tensor(node["mask"], dtype=torch.float32)
            s = _normflows_mlp(node["scale"], True) if node.get("scale") else None
            t = _normflows_mlp(node["translation"], False) if node.get("translation") else None
            flows.append(nf.flows.MaskedAffineFlow(b, t, s))
        elif kind == "normflows.ActNorm":
            flows.append(nf.flows.ActNorm((features,)))
        elif kind == "normflows.Permute":
            flows.append(nf.flows.Permute(features, mode="shuffle"))
        else:
            raise UnsupportedFlowError(kind, "not a flow exportTorchFlow writes")
    base = description["base"]
    q0 = nf.distributions.DiagGaussian(features, trainable=bool(base.get("trainable")))
    flow = nf.NormalizingFlow(q0, flows)
    state = read_safetensors(prefix + ".safetensors")
    flow.load_state_dict({k: v.to(flow.state_dict()[k].dtype) for k, v in state.items()}, strict=True)
    flow.eval()
    return flow
