//! The generators behind the operation tables of `unary.rs` and `binary.rs`: from one row per
//! operation (its method name, parameters, forward formula and backward rule) they write the
//! enum variant, the scalar evaluation, the vectorised kernel's arm, the backward rule's arm
//! and the methods on [`Tensor`](crate::Tensor), [`Var`](crate::Var),
//! [`ScalarVar`](crate::ScalarVar) and (unary) [`Algebra`](crate::Algebra).
//!
//! Every `match` they write lists each variant, with no wildcard, so an operation can be
//! missing from no dispatch: a row is the operation's only declaration.

/// Writes the unary family from its table; see `ops/unary.rs` for the row syntax.
macro_rules! unary_table {
    // How a lone number is evaluated: on the CPU's kernel path (`kernel`: polynomials, whose
    // chains of fused multiply-adds are what scalar code waits on) or on the baseline.
    (@eval kernel $op:ident $v:ident) => {
        eval_polynomial($op, $v)
    };
    (@eval baseline $op:ident $v:ident) => {
        $op.eval_on::<$crate::cpu::Baseline>($v)
    };
    ($(
        $(#[$doc:meta])*
        $name:ident $(($($p:ident),+))? => $variant:ident, $path:ident |$v:ident| $eval:expr,
            grad |$x:ident, $y:ident, $g:ident| $rule:expr;
    )*) => {
        /// An elementwise function of one operand: one variant per row of the table in
        /// `ops/unary.rs`, its parameters (numbers of the element type) carried in the variant.
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub enum Unary<T> {
            $($(#[$doc])* $variant $({ $(#[allow(missing_docs)] $p: T),+ })?,)*
        }

        impl<T: Float> Unary<T> {
            /// The name of the method that records the operation, with its parameters.
            pub(crate) fn name(self) -> String {
                let (name, params): (&str, &[T]) = match self {
                    $(Unary::$variant $({ $($p),+ })? => (stringify!($name), &[$($($p),+)?]),)*
                };
                if params.is_empty() {
                    return name.to_string();
                }
                let params: Vec<String> = params.iter().map(|p| p.to_f64().to_string()).collect();
                format!("{name}({})", params.join(", "))
            }

            /// The function at one number (scalar code: the scalar tape, one-element tensors).
            /// The polynomials (`exp`, `ln`, `tanh` and the functions built on them) run on the
            /// CPU's kernel path: a chain of scalar operations waits on each result, and fused
            /// multiply-adds shorten every step of that wait (`scalar_chain`, 15,000
            /// operations: 185-213 us with the baseline's separate multiplies and adds, 141-159
            /// with this, on a busy machine).
            #[inline(always)]
            pub(crate) fn eval(self, v: T) -> T {
                match self {
                    $(Unary::$variant { .. } => $crate::ops::table::unary_table!(@eval $path self v),)*
                }
            }

            /// The function at one number, as kernels compiled for the path `I` compute it.
            #[inline(always)]
            #[allow(clippy::redundant_locals)]
            pub(crate) fn eval_on<I: $crate::cpu::Isa>(self, v: T) -> T {
                match self {
                    $(Unary::$variant $({ $($p),+ })? => {
                        let $v = v;
                        $eval
                    })*
                }
            }
        }

        $crate::kernel! {
            /// The forward kernels: one loop per variant with its formula inlined, so that each
            /// vectorises (a single loop matching on the variant for every element runs 4-8
            /// times slower).
            fn unary_kernel<T: Float>(op: Unary<T>, x: &Tensor<T>) -> Tensor<T> {
                match op {
                    $(Unary::$variant $({ $($p),+ })? => x.map_inlined(
                        move |v| Unary::$variant $({ $($p),+ })?.eval_on::<I>(v)
                    ),)*
                }
            }
        }

        /// The backward rule: the gradient of the operand, given its value `x`, the result `y`
        /// and the incoming gradient `g`.
        // Always inlined: the scalar tape calls it once per node, where the call would cost
        // more than the arithmetic.
        #[inline(always)]
        #[allow(unused_variables)]
        pub(crate) fn backward<T: Float, A: Algebra<T>>(op: Unary<T>, x: &A, y: &A, g: &A) -> A {
            match op {
                $(Unary::$variant $({ $($p),+ })? => {
                    let ($x, $y, $g) = (x, y, g);
                    $rule
                })*
            }
        }

        /// The operations backward rules are written with: the [`AlgebraCore`] (arithmetic,
        /// reductions, shapes, indexing, products) and one method per elementwise function of
        /// the unary table. Implemented by [`Tensor`] (eager) and by [`Var`] (recording), and,
        /// inside the engine, by plain numbers (the scalar paths).
        ///
        /// A rule written once over it runs eagerly on tensors and, on `Var`s, records a
        /// graph that can be differentiated again:
        ///
        /// ```
        /// use tape::{Algebra, Float, Tape, Tensor};
        ///
        /// /// The backward rule of sin(x)^2: g 2 sin x cos x.
        /// fn rule<T: Float, A: Algebra<T>>(x: &A, g: &A) -> A {
        ///     g.mul(&x.sin().mul(&x.cos()).scale(T::from_f64(2.0)))
        /// }
        ///
        /// let x = Tensor::<f64>::from_vec(vec![0.3, 1.2], [2]);
        /// let eager = rule(&x, &Tensor::ones([2]));
        /// let tape = Tape::<f64>::new();
        /// let v = tape.var(x.clone());
        /// let recorded = rule(&v, &tape.constant(Tensor::ones([2])));
        /// assert_eq!(recorded.value().data(), eager.data());
        /// recorded.sum().backward(); // d/dx sin(2x) = 2 cos(2x)
        /// let want = x.scale(2.0).cos().scale(2.0);
        /// let got = v.grad().unwrap();
        /// assert!(got.data().iter().zip(want.data()).all(|(a, b)| (a - b).abs() < 1e-12));
        /// ```
        pub trait Algebra<T: Float>: AlgebraCore<T> {
            /// Applies an elementwise function of the unary table.
            fn unary(&self, op: Unary<T>) -> Self;
            // Always inlined: the scalar paths run rules on plain numbers, where a call would
            // cost more than the arithmetic.
            $($(#[$doc])* #[inline(always)] fn $name(&self $(, $($p: T),+)?) -> Self {
                self.unary(Unary::$variant $({ $($p),+ })?)
            })*
        }

        #[allow(clippy::should_implement_trait)]
        impl<T: Float> Tensor<T> {
            $($(#[$doc])* pub fn $name(&self $(, $($p: T),+)?) -> Tensor<T> {
                Unary::$variant $({ $($p),+ })?.apply(self)
            })*
        }

        #[allow(clippy::should_implement_trait)]
        impl<'t, T: Float> Var<'t, T> {
            $($(#[$doc])* #[track_caller] pub fn $name(self $(, $($p: T),+)?) -> Var<'t, T> {
                self.unary(Unary::$variant $({ $($p),+ })?)
            })*
        }

        #[allow(clippy::should_implement_trait)]
        impl<'t, T: Float> ScalarVar<'t, T> {
            $($(#[$doc])* pub fn $name(self $(, $($p: T),+)?) -> ScalarVar<'t, T> {
                self.unary(Unary::$variant $({ $($p),+ })?)
            })*
        }
    };
}
pub(crate) use unary_table;

/// Writes the binary family from its table; see `ops/binary.rs` for the row syntax.
macro_rules! binary_table {
    ($(
        $(#[$doc:meta])*
        $name:ident => $variant:ident |$a:ident, $b:ident| $eval:expr,
            grad |$ga:ident, $gb:ident, $y:ident, $g:ident| $da:expr, $db:expr;
    )*) => {
        /// An elementwise function of two broadcast operands: one variant per row of the table
        /// in `ops/binary.rs`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Binary {
            $($variant,)*
        }

        impl Binary {
            /// The name of the method that records the operation.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Binary::$variant => stringify!($name),)*
                }
            }

            /// The function at one pair of numbers.
            #[inline(always)]
            pub(crate) fn eval<T: Float>(self, x: T, y: T) -> T {
                match self {
                    $(Binary::$variant => {
                        let ($a, $b) = (x, y);
                        $eval
                    })*
                }
            }
        }

        $crate::kernel! {
            /// The forward kernels: one loop per variant, so that each vectorises.
            fn binary_kernel<T: Float>(op: Binary, a: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
                let name = op.name();
                match op {
                    $(Binary::$variant => {
                        a.zip_map_inlined(b, name, |x, y| Binary::$variant.eval(x, y))
                    })*
                }
            }
        }

        /// The backward rule. Gradients of broadcast operands are summed back to their own
        /// shape.
        // Always inlined: the scalar tape calls it once per node (see `unary::backward`).
        #[inline(always)]
        #[allow(unused_variables)]
        pub(crate) fn backward<T: Float, A: Algebra<T>>(
            op: Binary,
            a: &A,
            b: &A,
            y: &A,
            g: &A,
            needs: &[bool],
            mut emit: impl FnMut(usize, A),
        ) {
            let (da, db) = match op {
                $(Binary::$variant => {
                    let ($ga, $gb, $y, $g) = (a, b, y, g);
                    (needs[0].then(|| $da), needs[1].then(|| $db))
                })*
            };
            if let Some(da) = da {
                emit(0, da.sum_to(&a.shape()));
            }
            if let Some(db) = db {
                emit(1, db.sum_to(&b.shape()));
            }
        }

        #[allow(clippy::should_implement_trait)]
        impl<T: Float> Tensor<T> {
            $($(#[$doc])* #[track_caller] pub fn $name(&self, y: &Tensor<T>) -> Tensor<T> {
                Binary::$variant.apply(self, y)
            })*
        }

        #[allow(clippy::should_implement_trait)]
        impl<'t, T: Float> Var<'t, T> {
            $($(#[$doc])* #[track_caller] pub fn $name(self, y: Var<'t, T>) -> Var<'t, T> {
                self.binary(Binary::$variant, y)
            })*
        }

        #[allow(clippy::should_implement_trait)]
        impl<'t, T: Float> ScalarVar<'t, T> {
            $($(#[$doc])* pub fn $name(self, y: ScalarVar<'t, T>) -> ScalarVar<'t, T> {
                self.binary(Binary::$variant, y)
            })*
        }
    };
}
pub(crate) use binary_table;
