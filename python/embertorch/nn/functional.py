"""``torch.nn.functional``: activations, losses, normalisation, dropout, convolution, pooling.

Each function is composed from differentiable core ops, so autograd, dtypes and views work
through them without extra backward code here.
"""

import math
import warnings

import embertorch as torch

from .. import _C

# --- linear ----------------------------------------------------------------------------------


def linear(input, weight, bias=None):
    if input.dim() == 2 and bias is not None:
        return torch.addmm(bias, input, weight.t())
    out = torch.matmul(input, weight.t())
    return out if bias is None else out + bias


def bilinear(input1, input2, weight, bias=None):
    out = torch.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


# --- activations -----------------------------------------------------------------------------


def _apply(input, inplace, fn):
    """Run ``fn``; with ``inplace`` write the result back into ``input`` (PyTorch's in-place form)."""
    out = fn(input)
    if inplace:
        return input.copy_(out)
    return out


def relu(input, inplace=False):
    return torch.relu_(input) if inplace else torch.relu(input)


def relu_(input):
    return torch.relu_(input)


def threshold(input, threshold, value, inplace=False):
    return _apply(input, inplace, lambda x: torch.where(x > threshold, x, value))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _apply(input, inplace, lambda x: torch.clamp(x, min_val, max_val))


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _apply(input, inplace, lambda x: torch.where(x > 0, x, x * negative_slope))


def elu(input, alpha=1.0, inplace=False):
    return _apply(input, inplace, lambda x: torch.where(x > 0, x, torch.expm1(x) * alpha))


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _apply(input, inplace, lambda x: torch.where(x > 0, x, torch.expm1(x / alpha) * alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    return _apply(input, inplace, lambda x: elu(x, _SELU_ALPHA) * _SELU_SCALE)


def gelu(input, approximate="none"):
    if approximate == "none":
        return input * 0.5 * (1.0 + torch.erf(input * (1.0 / math.sqrt(2.0))))
    if approximate == "tanh":
        inner = (input + 0.044715 * input**3) * math.sqrt(2.0 / math.pi)
        return input * 0.5 * (1.0 + torch.tanh(inner))
    raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate}")


def sigmoid(input):
    return torch.sigmoid(input)


def tanh(input):
    return torch.tanh(input)


def silu(input, inplace=False):
    return _apply(input, inplace, lambda x: x * torch.sigmoid(x))


def softplus(input, beta=1.0, threshold=20.0):
    scaled = input * beta
    # Above the threshold softplus is the identity to working precision; log1p(exp) would overflow.
    soft = torch.log1p(torch.exp(torch.clamp(scaled, max=threshold))) / beta
    return torch.where(scaled > threshold, input, soft)


def mish(input, inplace=False):
    return _apply(input, inplace, lambda x: x * torch.tanh(softplus(x)))


def hardsigmoid(input, inplace=False):
    return _apply(input, inplace, lambda x: torch.clamp(x / 6.0 + 0.5, 0.0, 1.0))


def hardswish(input, inplace=False):
    return _apply(input, inplace, lambda x: x * torch.clamp(x + 3.0, 0.0, 6.0) / 6.0)


def softsign(input):
    return input / (1 + torch.abs(input))


def logsigmoid(input):
    # log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), stable for large |x|.
    return torch.clamp(input, max=0) - torch.log1p(torch.exp(-torch.abs(input)))


def tanhshrink(input):
    return input - torch.tanh(input)


def softshrink(input, lambd=0.5):
    return torch.where(input > lambd, input - lambd, torch.where(input < -lambd, input + lambd, input * 0))


def hardshrink(input, lambd=0.5):
    return torch.where(torch.abs(input) > lambd, input, input * 0)


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2 != 0:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {dim % input.dim()} is size {input.shape[dim]}"
        )
    a, b = torch.chunk(input, 2, dim)
    return a * torch.sigmoid(b)


def _softmax_dim(ndim):
    warnings.warn(
        "Implicit dimension choice for softmax has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.dim())
    return torch.softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.dim())
    return torch.softmax(-input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.dim())
    return torch.log_softmax(input, dim, dtype=dtype)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    denom = torch.clamp(torch.norm(input, p, dim, keepdim=True), min=eps)
    result = input / denom
    if out is not None:
        return out.copy_(result)
    return result


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    x1, x2 = torch.broadcast_tensors(x1, x2)
    n1 = torch.clamp(torch.norm(x1, 2, dim), min=eps)
    n2 = torch.clamp(torch.norm(x2, 2, dim), min=eps)
    return (x1 * x2).sum(dim) / (n1 * n2)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return torch.norm(x1 - x2 + eps, p, -1, keepdim=keepdim)


def one_hot(tensor, num_classes=-1):
    if tensor.dtype != torch.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(tensor.max().item()) + 1 if tensor.numel() else 0
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if tensor.numel() and (int(tensor.min().item()) < 0):
        raise RuntimeError("Class values must be non-negative.")
    if tensor.numel() and int(tensor.max().item()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = torch.zeros(*tensor.shape, num_classes, dtype=torch.int64)
    return out.scatter_(-1, tensor.unsqueeze(-1), 1)


# --- dropout ---------------------------------------------------------------------------------


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_with_mask_shape(input, p, training, inplace, mask_shape):
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0) if inplace else input * 0
    mask = torch.empty(mask_shape, dtype=input.dtype).bernoulli_(1 - p).div_(1 - p)
    return input.mul_(mask) if inplace else input * mask


def dropout(input, p=0.5, training=True, inplace=False):
    return _dropout_with_mask_shape(input, p, training, inplace, input.shape)


def _feature_dropout(input, p, training, inplace, spatial, name):
    if input.dim() not in (spatial + 1, spatial + 2):
        raise RuntimeError(
            f"{name}: Expected {spatial + 1}D or {spatial + 2}D input, but received a {input.dim()}D input."
        )
    shape = list(input.shape[: input.dim() - spatial]) + [1] * spatial
    return _dropout_with_mask_shape(input, p, training, inplace, shape)


def dropout1d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 2, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 3, "dropout3d")


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0
    alpha_p = -_SELU_ALPHA * _SELU_SCALE
    keep = torch.empty(input.shape, dtype=input.dtype).bernoulli_(1 - p)
    a = 1.0 / math.sqrt((alpha_p**2 * p + 1) * (1 - p))
    b = -a * alpha_p * p
    out = (input * keep + alpha_p * (1 - keep)) * a + b
    return input.copy_(out) if inplace else out


# --- losses ----------------------------------------------------------------------------------


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy(size_average, reduce, reduction):
    # PyTorch's deprecated size_average/reduce arguments map onto `reduction`.
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _warn_broadcast(input, target, name):
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
            "This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _legacy(size_average, reduce, reduction)
    _warn_broadcast(input, target, "mse_loss")
    loss = (input - target) ** 2
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _legacy(size_average, reduce, reduction)
    _warn_broadcast(input, target, "l1_loss")
    loss = torch.abs(input - target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _legacy(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    diff = torch.abs(input - target)
    if beta == 0:
        return _reduce(diff, reduction)
    loss = torch.where(diff < beta, 0.5 * diff**2 / beta, diff - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    diff = torch.abs(input - target)
    loss = torch.where(diff < delta, 0.5 * diff**2, delta * (diff - 0.5 * delta))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _check_same_size(input, target):
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
            "is deprecated. Please ensure they have the same size."
        )


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    _check_same_size(input, target)
    with torch.no_grad():
        if input.numel() and bool(((input < 0) | (input > 1)).any()):
            raise RuntimeError("all elements of input should be between 0 and 1")
    # PyTorch clamps the logs at -100 so that a saturated probability gives a finite loss.
    log_p = torch.clamp(torch.log(input), min=-100)
    log_q = torch.clamp(torch.log(1 - input), min=-100)
    loss = -(target * log_p + (1 - target) * log_q)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    reduction = _legacy(size_average, reduce, reduction)
    _check_same_size(input, target)
    # log(1 + exp(-|x|)) + max(-x, 0) is softplus(-x) without overflow.
    sp_neg = torch.log1p(torch.exp(-torch.abs(input))) + torch.clamp(-input, min=0)
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * sp_neg
    else:
        loss = (1 - target) * input + sp_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _class_dim_last(t):
    """(N, C, d1, ...) -> (N*d1*..., C); (C,) -> (1, C)."""
    if t.dim() == 1:
        return t.unsqueeze(0)
    if t.dim() == 2:
        return t
    return torch.movedim(t, 1, -1).reshape(-1, t.shape[1])


def _check_nll_shapes(input, target):
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if target.dtype not in (torch.int64, torch.uint8, torch.int32, torch.int16, torch.int8):
        raise RuntimeError(f"expected scalar type Long but found {str(target.dtype).split('.')[-1].capitalize()}")
    if input.dim() == 1:
        if target.dim() != 0:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        return
    if target.shape[0] != input.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target.shape[0]})."
        )
    if tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise RuntimeError(f"size mismatch (got input: {input.shape}, target: {target.shape})")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    _check_nll_shapes(input, target)
    out_shape = target.shape
    logp = _class_dim_last(input)
    classes = logp.shape[1]
    t = target.reshape(-1).long()
    valid = t != ignore_index
    safe_t = torch.where(valid, t, 0)
    if t.numel() and bool(((safe_t < 0) | (safe_t >= classes)).any()):
        bad = int(t[(safe_t < 0) | (safe_t >= classes)][0].item())
        raise IndexError(f"Target {bad} is out of bounds.")
    picked = -logp.gather(1, safe_t.unsqueeze(1)).squeeze(1)
    w = valid.to(input.dtype)
    if weight is not None:
        if weight.numel() != classes:
            raise RuntimeError(
                f"weight tensor should be defined either for all {classes} classes or no classes "
                f"but got weight tensor of shape: {list(weight.shape)}"
            )
        w = w * weight.index_select(0, safe_t)
    loss = picked * w
    if reduction == "none":
        return loss.reshape(out_shape)
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / w.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    reduction = _legacy(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    logp = torch.log_softmax(input, class_dim)
    if target.is_floating_point():
        return _soft_cross_entropy(logp, target, weight, reduction, label_smoothing, class_dim)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return nll
    classes = input.shape[class_dim]
    flat = _class_dim_last(logp)
    if weight is not None:
        flat = flat * weight
    smooth = -flat.sum(1)
    valid = (target.reshape(-1) != ignore_index).to(input.dtype)
    smooth = smooth * valid
    if reduction == "none":
        smooth = smooth.reshape(target.shape)
    elif reduction == "sum":
        smooth = smooth.sum()
    else:
        if weight is not None:
            denom = (weight.index_select(0, torch.where(valid.bool(), target.reshape(-1), 0)) * valid).sum()
        else:
            denom = valid.sum()
        smooth = smooth.sum() / denom
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def _soft_cross_entropy(logp, target, weight, reduction, label_smoothing, class_dim):
    if target.shape != logp.shape:
        raise RuntimeError(
            f"Expected target size {list(logp.shape)}, got {list(target.shape)}"
        )
    classes = logp.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    prod = logp * target
    if weight is not None:
        shape = [1] * logp.dim()
        shape[class_dim] = classes
        prod = prod * weight.reshape(shape)
    loss = -prod.sum(class_dim)
    if reduction == "mean":
        return loss.sum() / (loss.numel() if logp.dim() > 1 else 1)
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = _legacy(size_average, reduce, reduction)
    if log_target:
        loss = torch.exp(target) * (target - input)
    else:
        loss = torch.xlogy(target, target) - target * input
    if reduction == "batchmean":
        if input.dim() == 0:
            return loss.sum()
        return loss.sum() / input.shape[0]
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    cos = cosine_similarity(input1, input2, dim=-1, eps=1e-12)
    loss = torch.where(target > 0, 1 - cos, torch.clamp(cos - margin, min=0))
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    return _reduce(torch.clamp(-target * (input1 - input2) + margin, min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    neg = torch.clamp(margin - input, min=0)
    loss = torch.where(target == 1, input, input * 0) + torch.where(target == -1, neg, neg * 0)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    return _reduce(softplus(-target * input), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    if log_input:
        loss = torch.exp(input) - target * input
    else:
        loss = input - target * torch.log(input + eps)
    if full:
        stirling = target * torch.log(target) - target + 0.5 * torch.log(2 * math.pi * target)
        loss = loss + torch.where(target > 1, stirling, stirling * 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = torch.clamp(var, min=eps)
    loss = 0.5 * (torch.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# --- embedding and normalisation -------------------------------------------------------------


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported by embertorch")
    if scale_grad_by_freq:
        raise NotImplementedError("embedding: scale_grad_by_freq is not supported by embertorch")
    if input.dtype not in (torch.int64, torch.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {input.type()} instead (while checking arguments for embedding)"
        )
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    flat = input.reshape(-1).long()
    if flat.numel() and (int(flat.min()) < 0 or int(flat.max()) >= weight.shape[0]):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm_(weight, flat, max_norm, norm_type)
    rows = weight.index_select(0, flat)
    if padding_idx is not None:
        # The padding row takes no gradient, as in PyTorch.
        pad = (flat == padding_idx).unsqueeze(1)
        rows = torch.where(pad, rows.detach(), rows)
    return rows.reshape(*input.shape, weight.shape[1])


def _embedding_renorm_(weight, indices, max_norm, norm_type):
    with torch.no_grad():
        idx = torch.unique(indices)
        rows = weight.index_select(0, idx)
        norms = torch.norm(rows, norm_type, 1, keepdim=True)
        scale = torch.where(norms > max_norm, max_norm / (norms + 1e-7), torch.ones_like(norms))
        weight.index_copy_(0, idx, rows * scale)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or tuple(input.shape[input.dim() - k:]) != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size{input.shape}"
        )
    dims = tuple(range(-k, 0))
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, keepdim=True, correction=0)
    out = (input - mean) * torch.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    dims = tuple(range(-len(normalized_shape), 0))
    if eps is None:
        eps = torch.finfo(input.dtype).eps
    out = input * torch.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return out if weight is None else out * weight


def _channel_shape(input):
    return [1, input.shape[1]] + [1] * (input.dim() - 2)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    if input.dim() < 2:
        raise ValueError(f"expected 2D or more input (got {input.dim()}D input)")
    shape = _channel_shape(input)
    dims = [0] + list(range(2, input.dim()))
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {input.shape}"
            )
        mean = input.mean(dims)
        var = input.var(dims, correction=0)
        if running_mean is not None:
            with torch.no_grad():
                running_mean.mul_(1 - momentum).add_(mean.detach() * momentum)
        if running_var is not None:
            with torch.no_grad():
                running_var.mul_(1 - momentum).add_(var.detach() * (momentum * count / (count - 1)))
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        mean, var = running_mean, running_var
    out = (input - mean.reshape(shape)) * torch.rsqrt(var.reshape(shape) + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    dims = tuple(range(2, input.dim()))
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, keepdim=True, correction=0)
    out = (input - mean) * torch.rsqrt(var + eps)
    shape = _channel_shape(input)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    n, c = input.shape[0], input.shape[1]
    if c % num_groups != 0:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"{input.shape} and num_groups={num_groups}"
        )
    grouped = input.reshape(n, num_groups, -1)
    mean = grouped.mean(-1, keepdim=True)
    var = grouped.var(-1, keepdim=True, correction=0)
    out = ((grouped - mean) * torch.rsqrt(var + eps)).reshape(input.shape)
    shape = _channel_shape(input)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


# --- padding ---------------------------------------------------------------------------------


def pad(input, pad, mode="constant", value=None):
    pad = list(pad)
    if len(pad) % 2 != 0:
        raise ValueError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise ValueError("Padding length should be less than or equal to two times the input dimension")
    if mode == "constant":
        return _pad_constant(input, pad, 0.0 if value is None else value)
    if value is not None and value != 0:
        raise ValueError(f"Padding mode \"{mode}\" doesn't take in value argument.")
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    out = input
    for i in range(len(pad) // 2):
        dim = input.dim() - 1 - i
        out = _pad_index(out, dim, pad[2 * i], pad[2 * i + 1], mode)
    return out


def _pad_constant(input, pad, value):
    out = input
    for i in range(len(pad) // 2):
        dim = input.dim() - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        # Negative padding crops.
        if left < 0:
            out = out.narrow(dim, -left, out.shape[dim] + left)
            left = 0
        if right < 0:
            out = out.narrow(dim, 0, out.shape[dim] + right)
            right = 0
        parts = []
        for width in (left, None, right):
            if width is None:
                parts.append(out)
            elif width > 0:
                shape = list(out.shape)
                shape[dim] = width
                parts.append(torch.full(shape, value, dtype=out.dtype))
        if len(parts) > 1:
            out = torch.cat(parts, dim)
    return out


def _pad_index(input, dim, left, right, mode):
    size = input.shape[dim]
    idx = torch.arange(-left, size + right)
    if mode == "reflect":
        if left >= size or right >= size:
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input dimension, "
                f"but got: padding ({left}, {right}) at dimension {dim} of input {list(input.shape)}"
            )
        period = 2 * (size - 1) if size > 1 else 1
        idx = torch.remainder(idx, period)
        idx = torch.where(idx >= size, period - idx, idx)
    elif mode == "replicate":
        idx = torch.clamp(idx, 0, size - 1)
    else:
        if left > size or right > size:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        idx = torch.remainder(idx, size)
    return input.index_select(dim, idx)


# --- convolution and pooling -----------------------------------------------------------------


def _tuple(value, n, name="argument"):
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values")
    return value


def _windows(x, kernel, stride, dilation):
    """Sliding windows over the trailing spatial dims: (N, C, *out, *kernel) as a strided view."""
    n = len(kernel)
    for i in range(n):
        dim = 2 + i
        span = dilation[i] * (kernel[i] - 1) + 1
        x = x.unfold(dim, span, stride[i])
        if dilation[i] > 1:
            x = x[..., :: dilation[i]]
    return x


def _convnd(input, weight, bias, stride, padding, dilation, groups, n):
    batched = input.dim() == n + 2
    if not batched:
        if input.dim() != n + 1:
            raise RuntimeError(
                f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to conv{n}d, but got input of "
                f"size: {list(input.shape)}"
            )
        input = input.unsqueeze(0)
    if weight.dim() != n + 2:
        raise RuntimeError(f"weight should have {n + 2} dimensions for conv{n}d, got {weight.dim()}")
    stride = _tuple(stride, n, "stride")
    dilation = _tuple(dilation, n, "dilation")
    kernel = tuple(weight.shape[2:])
    c_out, c_in_g = weight.shape[0], weight.shape[1]
    c_in = input.shape[1]
    if c_in != c_in_g * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input{list(input.shape)} "
            f"to have {c_in_g * groups} channels, but got {c_in} channels instead"
        )
    if c_out % groups != 0:
        raise RuntimeError("Given groups, expected weight to be divisible by groups")
    if isinstance(padding, str):
        padding = _same_padding(padding, kernel, dilation, stride)
    padding = _tuple(padding, n, "padding")
    if isinstance(padding[0], tuple):
        # Uneven ("same" with an even kernel) padding is applied up front.
        flat = [p for pair in reversed(padding) for p in pair]
        input = _pad_constant(input, flat, 0.0)
        padding = (0,) * n
    for i in range(n):
        span = dilation[i] * (kernel[i] - 1) + 1
        if input.shape[2 + i] + 2 * padding[i] < span:
            sizes = " x ".join(str(s + 2 * p) for s, p in zip(input.shape[2:], padding))
            raise RuntimeError(
                f"Calculated padded input size per channel: ({sizes}). "
                f"Kernel size: ({' x '.join(str(k) for k in kernel)}). "
                "Kernel size can't be greater than actual input size"
            )
    if n == 3:
        out = _conv3d_windows(input, weight, stride, padding, dilation, groups)
    else:
        out = _conv2d_im2col(input, weight, stride, padding, dilation, groups, n)
    if bias is not None:
        out = out + bias.reshape([1, c_out] + [1] * n)
    return out if batched else out.squeeze(0)


def _as_2d(values, fill):
    """1-d geometry as 2-d with a unit leading spatial dim."""
    return (fill, *values) if len(values) == 1 else tuple(values)


def _conv2d_im2col(input, weight, stride, padding, dilation, groups, n):
    """Convolution as im2col then one (batched, grouped) matmul."""
    if n == 1:
        input, weight = input.unsqueeze(2), weight.unsqueeze(2)
    kernel = tuple(weight.shape[2:])
    cols = _C._im2col(input, list(kernel), list(_as_2d(dilation, 1)), list(_as_2d(padding, 0)),
                      list(_as_2d(stride, 1)))  # (N, C*kh*kw, L)
    batch, c_out = input.shape[0], weight.shape[0]
    h = (input.shape[2] + 2 * _as_2d(padding, 0)[0] - _as_2d(dilation, 1)[0] * (kernel[0] - 1) - 1)
    out_h = h // _as_2d(stride, 1)[0] + 1
    if groups == 1:
        out = torch.matmul(weight.reshape(c_out, -1), cols)  # (N, O, L)
    else:
        cols = cols.reshape(batch, groups, -1, cols.shape[-1])
        out = torch.matmul(weight.reshape(1, groups, c_out // groups, -1), cols)  # (N, G, O/G, L)
    out = out.reshape(batch, c_out, out_h, -1)
    return out.squeeze(2) if n == 1 else out


def _conv3d_windows(input, weight, stride, padding, dilation, groups):
    """Convolution over 3 spatial dims through strided window views (no dedicated kernel)."""
    n = 3
    if any(padding):
        input = _pad_constant(input, [p for p in reversed(padding) for _ in range(2)], 0.0)
    kernel = tuple(weight.shape[2:])
    c_out, c_in_g = weight.shape[0], weight.shape[1]
    win = _windows(input, kernel, stride, dilation)  # (N, C, *out, *k)
    batch = input.shape[0]
    out_sp = tuple(win.shape[2:2 + n])
    # (N, G, C/G, *out, *k) -> (N, G, *out, C/G * prod(k)) for one matmul per group.
    win = win.reshape(batch, groups, c_in_g, *out_sp, *kernel)
    perm = [0, 1] + list(range(3, 3 + n)) + [2] + list(range(3 + n, 3 + 2 * n))
    cols = win.permute(*perm).reshape(batch, groups, -1, c_in_g * math.prod(kernel))
    w = weight.reshape(groups, c_out // groups, -1).transpose(1, 2).unsqueeze(0)  # (1, G, C/G*k, O/G)
    out = torch.matmul(cols, w)  # (N, G, L, O/G)
    return out.permute(0, 1, 3, 2).reshape(batch, c_out, *out_sp)


def _same_padding(mode, kernel, dilation, stride):
    if mode == "valid":
        return (0,) * len(kernel)
    if mode != "same":
        raise ValueError(f"Invalid padding string '{mode}', should be one of ['valid', 'same']")
    if any(s != 1 for s in stride):
        raise ValueError("padding='same' is not supported for strided convolutions")
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 3)


def _pool_setup(input, kernel_size, stride, padding, dilation, ceil_mode, n, name):
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"{name}: Expected {n + 1}D or {n + 2}D input, but got {input.dim()}D")
    kernel = _tuple(kernel_size, n, "kernel_size")
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _tuple(stride, n)
    padding = _tuple(padding, n, "padding")
    dilation = _tuple(dilation, n, "dilation")
    for k, p in zip(kernel, padding):
        if p > k // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} "
                f"and dilation={dilation[0]}"
            )
    extra = []
    for i in range(n):
        size = input.shape[input.dim() - n + i]
        span = dilation[i] * (kernel[i] - 1) + 1
        out = _pool_out(size, span, stride[i], padding[i], ceil_mode)
        if out <= 0:
            raise RuntimeError(f"{name}: output size is too small")
        # Right padding so that the last window (ceil_mode) fits.
        extra.append((out - 1) * stride[i] + span - size - padding[i])
    return kernel, stride, padding, dilation, extra


def _pool_out(size, span, stride, pad, ceil_mode):
    num = size + 2 * pad - span
    out = (num + (stride - 1 if ceil_mode else 0)) // stride + 1
    # The last window must start inside the input or left padding.
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _pool_pad(x, padding, extra, value):
    flat = []
    for p, e in zip(reversed(padding), reversed(extra)):
        flat += [p, e]
    return _pad_constant(x, flat, value) if any(flat) else x


def _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, n):
    name = f"max_pool{n}d"
    batched = input.dim() == n + 2
    kernel, stride, padding, dilation, _ = _pool_setup(
        input, kernel_size, stride, padding, dilation, ceil_mode, n, name
    )
    x = input if batched else input.unsqueeze(0)
    x2 = x.unsqueeze(2) if n == 1 else x
    out_sp = [_pool_out(x.shape[2 + i], dilation[i] * (kernel[i] - 1) + 1, stride[i], padding[i], ceil_mode)
              for i in range(n)]
    indices = _C._max_pool2d_indices(
        x2, list(_as_2d(kernel, 1)), list(_as_2d(dilation, 1)), list(_as_2d(padding, 0)),
        list(_as_2d(stride, 1)), list(_as_2d(out_sp, 1)),
    )
    # Gathering through the arg-max indices makes the values differentiable (any order).
    values = x2.flatten(2).gather(2, indices.flatten(2)).reshape(indices.shape)
    if n == 1:
        values, indices = values.squeeze(2), indices.squeeze(2)
    if not batched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return (values, indices) if return_indices else values


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, n):
    name = f"avg_pool{n}d"
    batched = input.dim() == n + 2
    kernel, stride, padding, _, extra = _pool_setup(input, kernel_size, stride, padding, 1, ceil_mode, n, name)
    x = input if batched else input.unsqueeze(0)
    total = _window_sums(_pool_pad(x, padding, extra, 0.0), kernel, stride)
    if divisor_override is not None:
        out = total / divisor_override
    else:
        # Windows reaching into ceil_mode's extra padding never count it; the symmetric
        # padding counts only with count_include_pad.
        mark = torch.ones([1, 1] + list(x.shape[2:]), dtype=x.dtype)
        if count_include_pad:
            # ``extra`` is the whole right padding; only its first ``padding`` entries count.
            mark = _pool_pad(mark, padding, [min(p, e) for p, e in zip(padding, extra)], 1.0)
            mark = _pool_pad(mark, [0] * n, [max(e - p, 0) for p, e in zip(padding, extra)], 0.0)
        else:
            mark = _pool_pad(mark, padding, extra, 0.0)
        out = total / _window_sums(mark, kernel, stride)
    return out if batched else out.squeeze(0)


def _window_sums(x, kernel, stride):
    """Sum over each (unpadded) window of every channel plane: (N, C, *out)."""
    n = len(kernel)
    lead = x.shape[:2]
    planes = x.reshape(-1, 1, *x.shape[2:])
    if n == 1:
        planes = planes.unsqueeze(2)
    cols = _C._im2col(planes, list(_as_2d(kernel, 1)), [1, 1], [0, 0], list(_as_2d(stride, 1)))
    out_sp = [(x.shape[2 + i] - kernel[i]) // stride[i] + 1 for i in range(n)]
    return cols.sum(1).reshape(*lead, *out_sp)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2)


def _adaptive_bounds(size, out):
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _adaptive_pool(input, output_size, n, reducer):
    out_size = _tuple(output_size, n, "output_size")
    out_size = tuple(input.shape[input.dim() - n + i] if s is None else s for i, s in enumerate(out_size))
    x = input
    for i in range(n):
        dim = x.dim() - n + i
        parts = [reducer(x.narrow(dim, a, b - a), dim) for a, b in _adaptive_bounds(x.shape[dim], out_size[i])]
        x = torch.stack(parts, dim)
    return x


def adaptive_avg_pool1d(input, output_size):
    return _adaptive_pool(input, output_size, 1, lambda t, d: t.mean(d))


def adaptive_avg_pool2d(input, output_size):
    return _adaptive_pool(input, output_size, 2, lambda t, d: t.mean(d))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    if return_indices:
        raise NotImplementedError("adaptive_max_pool1d: return_indices is not supported by embertorch")
    return _adaptive_pool(input, output_size, 1, lambda t, d: t.amax(d))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    if return_indices:
        raise NotImplementedError("adaptive_max_pool2d: return_indices is not supported by embertorch")
    return _adaptive_pool(input, output_size, 2, lambda t, d: t.amax(d))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L)."""
    if input.dim() not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.dim()}D)")
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    geometry = [list(_tuple(v, 2, name)) for v, name in
                ((kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"), (stride, "stride"))]
    cols = _C._im2col(x, *geometry)
    return cols if batched else cols.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: (N, C*kh*kw, L) -> (N, C, H, W), summing overlapping windows."""
    if input.dim() not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                                  f"(got {input.dim()}D)")
    batched = input.dim() == 3
    x = input if batched else input.unsqueeze(0)
    geometry = [list(_tuple(v, 2, name)) for v, name in
                ((kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"), (stride, "stride"))]
    out = _C._col2im(x, list(_tuple(output_size, 2, "output_size")), *geometry)
    return out if batched else out.squeeze(0)


__all__ = [name for name in dir() if not name.startswith("_") and name not in ("math", "warnings", "torch")]
