namespace Nabla;

public static partial class Autograd
{
    /// <summary>Jacobians and Hessians of tensor functions (<c>torch.autograd.functional</c>).</summary>
    public static class Functional
    {
        /// <summary>
        /// The Jacobian J[i, j] = ∂f(x)ᵢ/∂xⱼ, shaped <c>f(x).Shape ++ x.Shape</c>, one backward pass per output element.
        /// </summary>
        /// <param name="f">The function.</param>
        /// <param name="x">The point (any float tensor; it is not modified).</param>
        /// <param name="createGraph">Keep the result differentiable with respect to <paramref name="x"/>'s graph.</param>
        public static Tensor Jacobian(Func<Tensor, Tensor> f, Tensor x, bool createGraph = false)
        {
            var input = createGraph ? x : x.Detach().RequireGrad();
            if (createGraph && !x.RequiresGrad)
            {
                input = x.Detach().RequireGrad();
            }

            var y = f(input);
            int m = (int)y.Numel;
            var rows = new Tensor[m];
            var flat = y.Reshape(-1);
            for (int i = 0; i < m; i++)
            {
                var seed = Tensor.Zeros(flat.Shape, y.DType);
                seed.SetFlat(i, 1.0);
                var g = y.RequiresGrad
                    ? Grad([flat], [input], [seed], retainGraph: true, createGraph: createGraph, allowUnused: true)[0]
                    : null;
                rows[i] = (g ?? Tensor.ZerosLike(input)).Reshape(-1);
            }

            var j = m == 0 ? Tensor.Zeros(new Shape(0, (int)x.Numel), x.DType) : Tensor.Stack(rows, 0);
            return j.Reshape(new Shape([.. y.Shape.ToArray(), .. x.Shape.ToArray()]));
        }

        /// <summary>
        /// The Hessian H[i, j] = ∂²f/∂xᵢ∂xⱼ of a scalar function, shaped <c>x.Shape ++ x.Shape</c>: the Jacobian of
        /// the gradient, which autograd gets by differentiating its own backward graph.
        /// </summary>
        /// <example><code>
        /// // f(x, y) = x⁴ − 32x² + y⁴ − 18y²; at (4, 3) the Hessian is diag(12·16 − 64, 12·9 − 36) = diag(128, 72).
        /// var h = Autograd.Functional.Hessian(v =&gt; { var x = v[0]; var y = v[1]; return x.Pow(4) - 32 * x * x + y.Pow(4) - 18 * y * y; },
        ///                                       Tensor.FromArray([4.0, 3.0]));
        /// </code></example>
        public static Tensor Hessian(Func<Tensor, Tensor> f, Tensor x, bool createGraph = false)
        {
            return Jacobian(v =>
            {
                var y = f(v);
                if (y.Numel != 1)
                {
                    throw new ArgumentException($"Hessian: the function must return a scalar, it returned shape {y.Shape}", nameof(f));
                }

                return Grad([y], [v], createGraph: true, allowUnused: true)[0] ?? Tensor.ZerosLike(v);
            }, x, createGraph);
        }
    }
}
