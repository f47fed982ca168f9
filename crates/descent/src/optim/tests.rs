//! One body of checks over every optimizer in the registry (PyTorch's
//! `optim_db` pattern), plus the equivalences between conventions and the
//! defining properties of the paper variants.

use super::*;
use crate::Error;
use ndarray::{arr1, ArrayD};

fn vector(values: &[f64]) -> ArrayD<f64> {
    arr1(values).into_dyn()
}

/// Runs `steps` steps of `optimizer` on `grad_fn` from `x0`, returning the
/// final point; the gradient is taken where the optimizer asks.
fn run(
    optimizer: &mut dyn Optimizer<f64>,
    x0: &[f64],
    steps: usize,
    grad_fn: impl Fn(&ArrayD<f64>) -> ArrayD<f64>,
) -> ArrayD<f64> {
    let mut x = vector(x0);
    for _ in 0..steps {
        let at = optimizer.gradient_point(&[&x]).map(|mut p| p.remove(0)).unwrap_or_else(|| x.clone());
        let g = grad_fn(&at);
        optimizer.step(&mut [&mut x], &[g]).unwrap();
    }
    x
}

/// f(x) = ½ (x1² + 10 x2²): ill-conditioned, minimum at 0.
fn quadratic_grad(x: &ArrayD<f64>) -> ArrayD<f64> {
    vector(&[x[0], 10.0 * x[1]])
}

fn quadratic(x: &ArrayD<f64>) -> f64 {
    0.5 * (x[0] * x[0] + 10.0 * x[1] * x[1])
}

fn names() -> impl Iterator<Item = &'static str> {
    OPTIMIZER_NAMES.iter().map(|(name, _)| *name)
}

#[test]
fn every_name_builds_in_both_precisions_and_unknown_names_list_the_known_ones() {
    for name in names() {
        let o32 = by_name::<f32>(name, None).unwrap();
        let o64 = by_name::<f64>(name, Some(0.5)).unwrap();
        assert_eq!(o32.name(), o64.name());
        assert_eq!(o64.lr(), 0.5);
    }
    let err = by_name::<f64>("adamm", None).err().unwrap().to_string();
    assert!(err.contains("unknown optimizer \"adamm\"") && err.contains("amsgrad_reddi"), "{err}");
}

#[test]
fn every_optimizer_goes_downhill_on_a_quadratic_in_20_steps() {
    for name in names() {
        let mut optimizer = by_name::<f64>(name, None).unwrap();
        let x = run(optimizer.as_mut(), &[1.0, 1.0], 20, quadratic_grad);
        assert!(quadratic(&x) < quadratic(&vector(&[1.0, 1.0])), "{name}: f went from 5.5 to {}", quadratic(&x));
    }
}

#[test]
fn every_optimizer_converges_on_a_parabola() {
    // f(x) = ½ |x − (1, −2)|²; learning rates of a sensible size for each.
    let lrs = [
        ("sgd", 0.1),
        ("momentum", 0.05),
        ("momentum_ema", 0.5),
        ("heavy_ball", 0.05),
        ("nesterov", 0.05),
        ("nesterov_lookahead", 0.05),
        ("adagrad", 0.5),
        ("adadelta", 1.0),
        ("adadelta_zeiler", 1.0),
        ("rmsprop", 0.01),
        ("rmsprop_seed", 0.01),
        ("adam", 0.05),
        ("amsgrad", 0.05),
        ("amsgrad_reddi", 0.01),
        ("adamw", 0.05),
        ("nadam", 0.05),
        ("radam", 0.05),
        ("adamax", 0.05),
    ];
    assert_eq!(lrs.len(), OPTIMIZER_NAMES.len(), "every optimizer has a rate here");
    let target = vector(&[1.0, -2.0]);
    for (name, lr) in lrs {
        let mut optimizer = by_name::<f64>(name, Some(lr)).unwrap();
        let x = run(optimizer.as_mut(), &[0.0, 0.0], 3000, |x| x - &target);
        let distance = (&x - &target).mapv(|d| d * d).sum().sqrt();
        // AdamW decays the weights towards 0, so its fixed point is pulled off the minimum by ~lr·λ/|∇|.
        let tolerance = if name == "adamw" { 5e-2 } else { 1e-3 };
        assert!(distance < tolerance, "{name} (lr {lr}) ended {distance:.2e} from the minimum at {x}");
    }
}

#[test]
fn bad_hyperparameters_are_rejected_with_a_message_naming_the_parameter() {
    use OptimizerSpec as S;
    let cases: Vec<(OptimizerSpec, &str)> = vec![
        (S::Sgd(SgdConfig { lr: -1.0, ..Default::default() }), "lr"),
        (S::Sgd(SgdConfig { lr: f64::NAN, ..Default::default() }), "lr"),
        (S::Sgd(SgdConfig { lr: f64::INFINITY, ..Default::default() }), "lr"),
        (S::Sgd(SgdConfig { momentum: -0.1, ..Default::default() }), "momentum"),
        (S::Sgd(SgdConfig { nesterov: true, ..Default::default() }), "nesterov"),
        (S::Sgd(SgdConfig { nesterov: true, momentum: 0.9, dampening: 0.1, ..Default::default() }), "nesterov"),
        (S::Sgd(momentum_ema(0.1, 1.0)), "momentum"),
        (S::Sgd(SgdConfig { dampening: 0.5, ..heavy_ball(0.1, 0.9) }), "dampening"),
        (S::Sgd(SgdConfig { weight_decay: -1.0, ..Default::default() }), "weight_decay"),
        (S::Adagrad(AdagradConfig { eps: 0.0, ..Default::default() }), "eps"),
        (S::Adagrad(AdagradConfig { lr_decay: -1.0, ..Default::default() }), "lr_decay"),
        (S::Adagrad(AdagradConfig { initial_accumulator_value: -1.0, ..Default::default() }), "initial_accumulator"),
        (S::Adadelta(AdadeltaConfig { rho: 1.5, ..Default::default() }), "rho"),
        (S::Adadelta(AdadeltaConfig { eps: -1e-6, ..Default::default() }), "eps"),
        (S::RmsProp(RmsPropConfig { alpha: -0.5, ..Default::default() }), "alpha"),
        (S::RmsProp(RmsPropConfig { momentum: -0.5, ..Default::default() }), "momentum"),
        (S::Adam(AdamConfig { betas: (1.0, 0.999), ..Default::default() }), "betas[0]"),
        (S::Adam(AdamConfig { betas: (0.9, 1.0), ..Default::default() }), "betas[1]"),
        (S::Adam(AdamConfig { betas: (-0.1, 0.999), ..Default::default() }), "betas[0]"),
        (S::Adam(AdamConfig { eps: 0.0, ..Default::default() }), "eps"),
        (S::Adam(AdamConfig { lr: -1.0, ..adamw() }), "lr"),
        (S::NAdam(NAdamConfig { momentum_decay: -1.0, ..Default::default() }), "momentum_decay"),
        (S::NAdam(NAdamConfig { betas: (0.9, 1.0), ..Default::default() }), "betas[1]"),
        (S::RAdam(RAdamConfig { weight_decay: f64::NAN, ..Default::default() }), "weight_decay"),
        (S::Adamax(AdamaxConfig { betas: (0.9, 1.5), ..Default::default() }), "betas[1]"),
    ];
    for (spec, name) in cases {
        let err = spec.build::<f32>().err().unwrap_or_else(|| panic!("{spec:?} was accepted"));
        let message = err.to_string();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{message}");
        assert!(message.contains(name), "{spec:?}: the message {message:?} does not name {name}");
    }
    for name in names() {
        let mut optimizer = by_name::<f64>(name, None).unwrap();
        let message = optimizer.set_lr(-1.0).unwrap_err().to_string();
        assert!(message.contains("lr") && message.contains("-1"), "{name}: {message}");
    }
}

#[test]
fn mismatched_inputs_and_non_finite_gradients_are_errors_that_change_nothing() {
    for name in names() {
        let mut optimizer = by_name::<f64>(name, Some(0.1)).unwrap();
        let (mut a, mut b) = (vector(&[1.0, 2.0]), vector(&[3.0]));
        optimizer.step(&mut [&mut a, &mut b], &[vector(&[0.1, 0.2]), vector(&[0.3])]).unwrap();
        let (a1, b1, saved) = (a.clone(), b.clone(), optimizer.save().unwrap());

        let count = optimizer.step(&mut [&mut a, &mut b], &[vector(&[0.1, 0.2])]).unwrap_err();
        assert!(count.to_string().contains("2 parameters but 1 gradients"), "{name}: {count}");
        let shape = optimizer.step(&mut [&mut a, &mut b], &[vector(&[0.1]), vector(&[0.3])]).unwrap_err();
        assert!(matches!(shape, Error::Shape { .. }), "{name}: {shape}");
        if !optimizer.state_names().is_empty() {
            let mut c = vector(&[1.0, 2.0, 3.0]);
            let state = optimizer.step(&mut [&mut a, &mut c], &[vector(&[0.1, 0.2]), vector(&[0.1, 0.2, 0.3])]);
            assert!(state.unwrap_err().to_string().contains("optimizer state"), "{name}");
            let fewer = optimizer.step(&mut [&mut a], &[vector(&[0.1, 0.2])]).unwrap_err();
            assert!(fewer.to_string().contains("holds 2 parameters"), "{name}: {fewer}");
        }
        for bad in [f64::NAN, f64::INFINITY] {
            let err = optimizer.step(&mut [&mut a, &mut b], &[vector(&[0.1, bad]), vector(&[0.3])]).unwrap_err();
            assert!(err.to_string().contains("non-finite"), "{name}: {err}");
        }
        assert_eq!((&a, &b), (&a1, &b1), "{name}: a refused step moved the parameters");
        assert_eq!(optimizer.save().unwrap(), saved, "{name}: a refused step changed the state");
        assert_eq!(optimizer.steps(), 1);
    }
}

/// A deterministic, non-trivial gradient: of Σ (i+1) x_i² + sin(3 x_i).
fn wiggly_grad(x: &ArrayD<f64>) -> ArrayD<f64> {
    let mut g = x.clone();
    for (i, v) in g.iter_mut().enumerate() {
        *v = 2.0 * (i as f64 + 1.0) * *v + 3.0 * (3.0 * *v).cos();
    }
    g
}

#[test]
fn a_checkpoint_resumes_the_exact_same_trajectory() {
    for name in names() {
        let mut straight = by_name::<f64>(name, Some(0.05)).unwrap();
        let x_mid = run(straight.as_mut(), &[1.0, -0.5, 2.0], 10, wiggly_grad);
        let text = serde_json::to_string(&straight.save().unwrap()).unwrap();
        let x_end = run(straight.as_mut(), x_mid.as_slice().unwrap(), 10, wiggly_grad);

        let mut resumed = by_name::<f64>(name, Some(123.0)).unwrap();
        resumed.load(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(resumed.lr(), 0.05, "{name}: the checkpoint carries the hyperparameters");
        assert_eq!(resumed.steps(), 10);
        let x_resumed = run(resumed.as_mut(), x_mid.as_slice().unwrap(), 10, wiggly_grad);
        assert_eq!(x_resumed, x_end, "{name}: resumed trajectory differs");
    }
    // A checkpoint of another optimizer or precision is refused.
    let adam = by_name::<f64>("adam", None).unwrap().save().unwrap();
    let err = by_name::<f64>("sgd", None).unwrap().load(&adam).unwrap_err().to_string();
    assert!(err.contains("checkpoint"), "{err}");
    let err = by_name::<f32>("adam", None).unwrap().load(&adam).unwrap_err().to_string();
    assert!(err.contains("float64") && err.contains("float32"), "{err}");
}

#[test]
fn a_non_finite_gradient_has_its_own_error_apart_from_a_gradient_count_mismatch() {
    // The training loop records the first as a diverged run and stops on the
    // second as the programming error it is; both used to be `InvalidArgument
    // { name: "grads" }`, so a count mismatch was reported as divergence.
    for name in names() {
        let mut opt = by_name::<f64>(name, None).unwrap();
        let mut x = vector(&[1.0, 2.0]);
        let err = opt.step(&mut [&mut x], &[vector(&[1.0, f64::NAN])]).unwrap_err();
        assert!(matches!(err, Error::NonFiniteGradient { index: 0, .. }), "{name}: {err}");
        let err = opt.step(&mut [&mut x], &[vector(&[1.0, 1.0]), vector(&[1.0])]).unwrap_err();
        assert!(!matches!(err, Error::NonFiniteGradient { .. }), "{name}: {err}");
    }
}

/// A checkpoint after 3 steps on two parameters (shapes [3] and [2]).
fn two_parameter_checkpoint(name: &str) -> (Box<dyn Optimizer<f64>>, serde_json::Value) {
    let mut opt = by_name::<f64>(name, Some(0.05)).unwrap();
    let (mut a, mut b) = (vector(&[1.0, -0.5, 2.0]), vector(&[0.3, 0.7]));
    for _ in 0..3 {
        let (ga, gb) = (wiggly_grad(&a), vector(&[b[0], -b[1]]));
        opt.step(&mut [&mut a, &mut b], &[ga, gb]).unwrap();
    }
    let checkpoint = opt.save().unwrap();
    (opt, checkpoint)
}

#[test]
fn a_checkpoint_that_does_not_fit_its_config_is_refused_on_load_and_changes_nothing() {
    for name in names() {
        let (_, checkpoint) = two_parameter_checkpoint(name);
        let Some(state) = checkpoint["state"].as_object() else { continue };
        let buffers: Vec<String> =
            state.iter().filter(|(_, v)| v.as_array().is_some_and(|a| !a.is_empty())).map(|(k, _)| k.clone()).collect();
        for buffer in &buffers {
            // (a) one array fewer in this buffer; (b) its first array reshaped [n] -> [1, n].
            let mut fewer = checkpoint.clone();
            fewer["state"][buffer].as_array_mut().unwrap().pop();
            let mut reshaped = checkpoint.clone();
            let dim = &mut reshaped["state"][buffer][0]["dim"];
            *dim = serde_json::json!([1, dim[0].clone()]);
            for tampered in [fewer, reshaped] {
                let (mut opt, before) = two_parameter_checkpoint(name);
                match opt.load(&tampered) {
                    Err(e) => {
                        assert!(e.to_string().contains("checkpoint"), "{name}/{buffer}: {e}");
                        assert_eq!(
                            opt.save().unwrap(),
                            before,
                            "{name}/{buffer}: a refused load changed the optimizer"
                        );
                    }
                    // One buffer alone is consistent with itself; its mismatch with
                    // the parameters is refused by the next step, never a panic.
                    Ok(()) => {
                        assert_eq!(buffers.len(), 1, "{name}/{buffer}: loaded a state whose buffers disagree");
                        let (mut a, mut b) = (vector(&[1.0, -0.5, 2.0]), vector(&[0.3, 0.7]));
                        let grads = [wiggly_grad(&a), vector(&[1.0, 1.0])];
                        assert!(opt.step(&mut [&mut a, &mut b], &grads).is_err(), "{name}/{buffer}");
                    }
                }
            }
        }
    }
    // amsgrad: true needs the running maximum.
    let (_, mut checkpoint) = two_parameter_checkpoint("adam");
    checkpoint["config"]["amsgrad"] = serde_json::json!(true);
    let (mut amsgrad, before) = two_parameter_checkpoint("amsgrad");
    let err = amsgrad.load(&checkpoint).unwrap_err().to_string();
    assert!(err.contains("max_exp_avg_sq"), "{err}");
    assert_eq!(amsgrad.save().unwrap(), before);
}

#[test]
fn internal_state_is_exposed_by_torch_names() {
    let expected: &[(&str, &[&str])] = &[
        ("sgd", &[]),
        ("momentum", &["momentum_buffer"]),
        ("heavy_ball", &["momentum_buffer"]),
        ("adagrad", &["sum"]),
        ("adadelta", &["square_avg", "acc_delta"]),
        ("rmsprop", &["square_avg"]),
        ("adam", &["exp_avg", "exp_avg_sq"]),
        ("amsgrad", &["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]),
        ("amsgrad_reddi", &["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]),
        ("nadam", &["exp_avg", "exp_avg_sq"]),
        ("radam", &["exp_avg", "exp_avg_sq"]),
        ("adamax", &["exp_avg", "exp_inf"]),
    ];
    for &(name, buffers) in expected {
        let mut optimizer = by_name::<f64>(name, None).unwrap();
        assert!(optimizer.state_names().is_empty());
        run(optimizer.as_mut(), &[1.0, 2.0], 1, quadratic_grad);
        assert_eq!(optimizer.state_names(), buffers, "{name}");
        for b in buffers {
            assert_eq!(optimizer.buffer(b).unwrap()[0].shape(), &[2], "{name}.{b}");
        }
        assert!(optimizer.buffer("no_such_buffer").is_none());
    }
    let mut centered =
        RmsProp::<f64>::new(RmsPropConfig { centered: true, momentum: 0.9, ..Default::default() }).unwrap();
    run(&mut centered, &[1.0], 1, |x| x.clone());
    assert_eq!(centered.state_names(), ["square_avg", "grad_avg", "momentum_buffer"]);
}

// ---- equivalences -------------------------------------------------------

fn max_difference(a: &ArrayD<f64>, b: &ArrayD<f64>) -> f64 {
    (a - b).mapv(f64::abs).fold(0.0, |m, &v| m.max(v))
}

#[test]
fn sgd_with_momentum_zero_is_plain_gradient_descent() {
    let mut sgd = Sgd::<f64>::new(SgdConfig { lr: 0.05, momentum: 0.0, ..Default::default() }).unwrap();
    let got = run(&mut sgd, &[1.0, -0.5, 2.0], 50, wiggly_grad);
    let mut x = vector(&[1.0, -0.5, 2.0]);
    for _ in 0..50 {
        x = &x - &(wiggly_grad(&x) * 0.05); // θ ← θ − η ∇J(θ), seed 000
    }
    assert_eq!(got, x);
}

#[test]
fn rmsprop_is_adam_with_beta1_zero_and_no_bias_correction() {
    let mut rmsprop =
        RmsProp::<f64>::new(RmsPropConfig { lr: 0.01, alpha: 0.95, eps: 1e-6, ..Default::default() }).unwrap();
    let mut adam = Adam::<f64>::new(AdamConfig {
        lr: 0.01,
        betas: (0.0, 0.95),
        eps: 1e-6,
        bias_correction: false,
        ..Default::default()
    })
    .unwrap();
    let a = run(&mut rmsprop, &[1.0, -0.5, 2.0], 200, wiggly_grad);
    let b = run(&mut adam, &[1.0, -0.5, 2.0], 200, wiggly_grad);
    assert_eq!(a, b, "identical in every rounding");
}

#[test]
fn ema_momentum_is_heavy_ball_and_torch_momentum_with_the_rate_scaled_by_one_minus_beta() {
    let (eta, beta) = (0.1, 0.9);
    let mut ema = Sgd::<f64>::new(momentum_ema(eta, beta)).unwrap();
    let mut heavy = Sgd::<f64>::new(heavy_ball(eta * (1.0 - beta), beta)).unwrap();
    let mut torch =
        Sgd::<f64>::new(SgdConfig { lr: eta * (1.0 - beta), momentum: beta, ..Default::default() }).unwrap();
    let a = run(&mut ema, &[1.0, -0.5, 2.0], 300, wiggly_grad);
    let b = run(&mut heavy, &[1.0, -0.5, 2.0], 300, wiggly_grad);
    let c = run(&mut torch, &[1.0, -0.5, 2.0], 300, wiggly_grad);
    assert!(max_difference(&a, &b) < 1e-12 && max_difference(&a, &c) < 1e-12, "{a} {b} {c}");
    // ... but not torch's dampening = β: torch's first step ignores dampening.
    let mut damped =
        Sgd::<f64>::new(SgdConfig { lr: eta, momentum: beta, dampening: beta, ..Default::default() }).unwrap();
    let mut ema = Sgd::<f64>::new(momentum_ema(eta, beta)).unwrap();
    let d = run(&mut damped, &[1.0], 1, |x| x.clone());
    let e = run(&mut ema, &[1.0], 1, |x| x.clone());
    assert_eq!((d[0], e[0]), (1.0 - eta, 1.0 - eta * (1.0 - beta)));
}

#[test]
fn heavy_ball_has_effective_rate_eta_over_one_minus_mu() {
    // On a constant gradient the step tends to −η g / (1 − μ) (seed 004).
    let (eta, mu) = (0.01, 0.9);
    let mut heavy = Sgd::<f64>::new(heavy_ball(eta, mu)).unwrap();
    let mut x = vector(&[0.0]);
    for _ in 0..500 {
        heavy.step(&mut [&mut x], &[vector(&[1.0])]).unwrap();
    }
    let step = heavy.buffer("momentum_buffer").unwrap()[0][0];
    assert!((step - (-eta / (1.0 - mu))).abs() < 1e-12, "Δw = {step}");
}

#[test]
fn lookahead_nesterov_is_torch_nesterov_at_the_look_ahead_point() {
    let (lr, mu) = (1e-3, 0.9);
    let mut seed = Sgd::<f64>::new(nesterov_lookahead(lr, mu)).unwrap();
    let mut torch = Sgd::<f64>::new(SgdConfig { lr, momentum: mu, nesterov: true, ..Default::default() }).unwrap();
    let (mut w, mut p) = (vector(&[-1.5, 2.0]), vector(&[-1.5, 2.0]));
    let rosenbrock = |x: &ArrayD<f64>| {
        vector(&[-2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]), 200.0 * (x[1] - x[0] * x[0])])
    };
    for step in 0..300 {
        let at = seed.gradient_point(&[&w]).unwrap().remove(0);
        seed.step(&mut [&mut w], &[rosenbrock(&at)]).unwrap();
        let g = rosenbrock(&p);
        torch.step(&mut [&mut p], &[g]).unwrap();
        // torch's parameters are the seed's look-ahead point w + μ Δw.
        let look_ahead = &w + &(&seed.buffer("momentum_buffer").unwrap()[0] * mu);
        assert!(max_difference(&look_ahead, &p) < 1e-12, "step {step}: {look_ahead} vs {p}");
    }
}

// ---- paper variants: hand-derived first steps and defining properties ----

#[test]
fn adam_moves_every_coordinate_by_about_lr_on_its_first_step() {
    // m̂1 = g, v̂1 = g², so Δθ = −γ g / (|g| + ε) ≈ −γ sign(g), whatever |g|.
    let lr = 1e-3;
    let mut adam = Adam::<f64>::new(AdamConfig { lr, ..Default::default() }).unwrap();
    let mut x = vector(&[0.0; 4]);
    adam.step(&mut [&mut x], &[vector(&[1e-3, -1.0, 1e3, -1e5])]).unwrap();
    for (i, (&step, sign)) in x.iter().zip([-1.0, 1.0, -1.0, 1.0]).enumerate() {
        assert!((step - sign * lr).abs() < lr * 1e-5, "coordinate {i} moved {step}");
    }
    // Without the correction the first step is (1 − β1) / sqrt(1 − β2) ≈ 3.16 times larger.
    let mut raw = Adam::<f64>::new(AdamConfig { lr, bias_correction: false, ..Default::default() }).unwrap();
    let mut y = vector(&[0.0]);
    raw.step(&mut [&mut y], &[vector(&[2.0])]).unwrap();
    let want = -lr * 0.1 * 2.0 / (0.001_f64.sqrt() * 2.0 + 1e-8);
    assert!((y[0] - want).abs() < 1e-15, "{} vs {want}", y[0]);
}

#[test]
fn first_steps_match_the_hand_derived_values() {
    let g = 0.5;
    let first_step = |spec: OptimizerSpec| {
        let mut o = spec.build::<f64>().unwrap();
        let mut x = vector(&[0.0]);
        o.step(&mut [&mut x], &[vector(&[g])]).unwrap();
        x[0]
    };
    // Adadelta: E[g²]1 = (1 − ρ) g², Δx1 = sqrt(0 + ε) / sqrt(E[g²]1 + ε) · g.
    let (rho, eps): (f64, f64) = (0.95, 1e-6);
    let want = -(eps.sqrt() / ((1.0 - rho) * g * g + eps).sqrt() * g);
    assert!((first_step(OptimizerSpec::Adadelta(AdadeltaConfig::zeiler())) - want).abs() < 1e-18);
    // Adagrad: Σ = g², Δθ = −γ g / (|g| + ε).
    let want = -0.1 * g / (g + 1e-10);
    assert!((first_step(OptimizerSpec::by_name("adagrad", Some(0.1)).unwrap()) - want).abs() < 1e-16);
    // Seed 000's RMSprop: E[g²] = 0.1 g², Δθ = −η g / sqrt(E[g²] + ε).
    let want = -0.01 * g / (0.1 * g * g + 1e-8).sqrt();
    assert!((first_step(OptimizerSpec::by_name("rmsprop_seed", Some(0.01)).unwrap()) - want).abs() < 1e-16);
    // Reddi's AMSGrad: m1 = 0.1 g, v̂1 = 0.001 g², Δx = −α m1 / (sqrt(v̂1) + ε).
    let want = -0.01 * (0.1 * g) / ((0.001 * g * g).sqrt() + 1e-8);
    assert!((first_step(OptimizerSpec::by_name("amsgrad_reddi", Some(0.01)).unwrap()) - want).abs() < 1e-16);
}

#[test]
fn reddi_amsgrad_never_increases_its_effective_step_and_torch_amsgrad_can() {
    // Gradients that are large, then small: v decays, v̂ holds its maximum.
    let grads: Vec<f64> = (0..200).map(|t| if t < 20 { 10.0 } else { 0.1 }).collect();
    let effective_steps = |config: AdamConfig| {
        let mut adam = Adam::<f64>::new(config).unwrap();
        let mut x = vector(&[0.0]);
        let mut steps = Vec::new();
        for (t, &g) in grads.iter().enumerate() {
            adam.step(&mut [&mut x], &[vector(&[g])]).unwrap();
            let v_hat = adam.buffer("max_exp_avg_sq").unwrap()[0][0];
            let t = (t + 1) as f64;
            // α_t / (sqrt(v̂_t) + ε), with torch's bias corrections where they apply.
            steps.push(if config.bias_correction {
                let (b1, b2) = config.betas;
                config.lr / (1.0 - b1.powf(t)) / (v_hat.sqrt() / (1.0 - b2.powf(t)).sqrt() + config.eps)
            } else {
                config.lr / (v_hat.sqrt() + config.eps)
            });
        }
        steps
    };
    let reddi = effective_steps(amsgrad(AmsgradFlavour::Reddi));
    assert!(reddi.windows(2).all(|w| w[1] <= w[0]), "Reddi's effective step increased");
    let torch = effective_steps(amsgrad(AmsgradFlavour::Torch));
    assert!(torch.windows(2).any(|w| w[1] > w[0]), "torch's bias correction lets the step grow");
}

#[test]
fn adagrad_steps_vanish_on_a_constant_gradient() {
    // Σ_t = t g², so the step is γ / sqrt(t): seed 002's vanishing learning rate.
    let mut adagrad = Adagrad::<f64>::new(AdagradConfig { lr: 1.0, ..Default::default() }).unwrap();
    let mut x = vector(&[0.0]);
    let mut previous = 0.0;
    for t in 1..=100 {
        adagrad.step(&mut [&mut x], &[vector(&[2.0])]).unwrap();
        let step = previous - x[0];
        assert!((step - 1.0 / (t as f64).sqrt()).abs() < 1e-9, "t = {t}: step {step}");
        previous = x[0];
    }
}

#[test]
fn f32_and_f64_agree_to_single_precision() {
    for name in names() {
        let mut o32 = by_name::<f32>(name, Some(0.01)).unwrap();
        let mut o64 = by_name::<f64>(name, Some(0.01)).unwrap();
        let mut x32 = arr1(&[1.0_f32, -0.5]).into_dyn();
        let mut x64 = vector(&[1.0, -0.5]);
        for _ in 0..20 {
            let g64 = quadratic_grad(&x64);
            let g32 = x32.mapv(|v| v as f64);
            let g32 = quadratic_grad(&g32).mapv(|v| v as f32);
            o32.step(&mut [&mut x32], &[g32]).unwrap();
            o64.step(&mut [&mut x64], &[g64]).unwrap();
        }
        for (a, b) in x32.iter().zip(&x64) {
            assert!((*a as f64 - b).abs() < 1e-5, "{name}: {a} vs {b}");
        }
    }
}

#[test]
fn schedules_and_plateau_reject_bad_parameters() {
    assert!(Schedule::Step { step_size: 0, gamma: 0.5 }.validate().unwrap_err().to_string().contains("step_size"));
    assert!(Schedule::Exponential { gamma: 1.5 }.validate().unwrap_err().to_string().contains("gamma"));
    let bad_milestones = Schedule::MultiStep { milestones: vec![5, 3], gamma: 0.1 };
    assert!(bad_milestones.validate().unwrap_err().to_string().contains("milestones"));
    let bad_warmup = Schedule::warmup(5, 0.0, Schedule::Constant);
    assert!(bad_warmup.validate().unwrap_err().to_string().contains("start_factor"));
    let bad = ReduceOnPlateauConfig { factor: 1.0, ..Default::default() };
    assert!(ReduceOnPlateau::new(0.1, bad).unwrap_err().to_string().contains("factor"));
    let mut plateau = ReduceOnPlateau::new(0.1, ReduceOnPlateauConfig::default()).unwrap();
    assert!(plateau.step(f64::NAN).unwrap_err().to_string().contains("metric"));
}

#[test]
fn a_schedule_drives_an_optimizer_through_set_lr() {
    let schedule = Schedule::warmup(3, 0.5, Schedule::InverseSqrt);
    let mut sgd = by_name::<f64>("sgd", Some(0.2)).unwrap();
    let mut x = vector(&[0.0]);
    let mut moves = Vec::new();
    for t in 0..6 {
        sgd.set_lr(schedule.lr(0.2, t)).unwrap();
        let before = x[0];
        sgd.step(&mut [&mut x], &[vector(&[-1.0])]).unwrap();
        moves.push(x[0] - before);
    }
    for (moved, lr) in moves.iter().zip(schedule.trace(0.2, 6)) {
        assert!((moved - lr).abs() < 1e-15, "moved {moved}, lr {lr}");
    }
}

/// The AVX-512 kernels' subnormal-safe steps (`kernels::adam`,
/// `kernels::momentum`, `kernels::adadelta`) against the general update.
mod fast_paths {
    use super::super::rule::Rule;
    use super::super::{AdadeltaConfig, AdamConfig, MomentumForm, SgdConfig};
    use ndarray::{ArrayD, IxDyn};

    /// A gradient for lane `k` at step `t`: normal ones, ones that stop
    /// after a few steps (their state decays into subnormal numbers), tiny
    /// and subnormal ones, zeros, and ones that come back now and then.
    fn gradient(k: usize, t: u64) -> f32 {
        let wave = ((k * 7919 + t as usize * 104_729) % 2001) as f32 * 1e-3 - 1.0;
        match k % 8 {
            0 => wave * 1e-2,
            1 if t < 20 => wave * 1e-3,
            2 => wave * 1e-30,
            3 => wave * 1e-41,
            5 if t.is_multiple_of(97) => wave,
            6 if t < 3 => -1e-36,
            7 => wave * 1e-20,
            _ => 0.0,
        }
    }

    /// 1,000 steps on 4,099 lanes (the last block partial), on the path the
    /// CPU takes or with the baseline forced; the parameters and the state's
    /// values (through its serialisation, which keeps every bit of an `f32`).
    fn run<R: Rule<f32>>(rule: &R, baseline: bool) -> (Vec<u32>, Vec<f32>) {
        crate::kernels::cpu::force_baseline(baseline);
        let n = 4099;
        let values = (0..n).map(|k| ((k * 31) % 997) as f32 * 1e-3 - 0.4);
        let mut param = ArrayD::from_shape_vec(IxDyn(&[n]), values.collect()).expect("size");
        let mut state = rule.init(&[&mut param]);
        for t in 1..=1000 {
            let grad = ArrayD::from_shape_fn(IxDyn(&[n]), |k| gradient(k[0], t));
            rule.update(&mut state, t, &mut [&mut param], &[grad]);
        }
        crate::kernels::cpu::force_baseline(false);
        let json = serde_json::to_value(&state).expect("serialisable state");
        let mut values = Vec::new();
        collect(&json, &mut values);
        (param.iter().map(|x| x.to_bits()).collect(), values)
    }

    fn collect(v: &serde_json::Value, out: &mut Vec<f32>) {
        match v {
            serde_json::Value::Number(x) => out.push(x.as_f64().expect("a number") as f32),
            serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| collect(x, out)),
            _ => {}
        }
    }

    /// Both paths give the same parameters and state, bit for bit; where no
    /// decay keeps the gradients away from 0, the state holds subnormal
    /// values, so the exact path was taken.
    fn same_on_both_paths<R: Rule<f32> + std::fmt::Debug>(rule: &R, expect_subnormal: bool) {
        let ((fast_p, fast), (slow_p, slow)) = (run(rule, false), run(rule, true));
        if let Some(k) = fast_p.iter().zip(&slow_p).position(|(a, b)| a != b) {
            let (a, b) = (f32::from_bits(fast_p[k]), f32::from_bits(slow_p[k]));
            panic!("parameter[{k}]: {a:e} against the general update's {b:e}, {rule:?}");
        }
        assert_eq!(fast.len(), slow.len());
        if let Some(k) = fast.iter().zip(&slow).position(|(a, b)| a.to_bits() != b.to_bits()) {
            panic!("state value {k}: {:e} against the general update's {:e}, {rule:?}", fast[k], slow[k]);
        }
        if expect_subnormal {
            let subnormal = fast.iter().filter(|x| x.is_subnormal()).count();
            assert!(subnormal > 100, "{subnormal} subnormal values: the test would not test them, {rule:?}");
        }
    }

    #[test]
    fn adam_and_amsgrad_on_avx512_are_the_general_update_bit_for_bit() {
        if !crate::kernels::cpu::cpu_has_avx512() {
            eprintln!("skipped: this CPU has no AVX-512, so both runs would take the general update");
            return;
        }
        let _switch = crate::kernels::cpu::baseline_switch();
        let default = AdamConfig::default();
        same_on_both_paths(&default, true);
        // L2 decay keeps every gradient, so every moment, away from 0.
        same_on_both_paths(&AdamConfig { maximize: true, weight_decay: 1e-2, ..default }, false);
        same_on_both_paths(&AdamConfig { betas: (0.3, 0.99), ..default }, true);
        same_on_both_paths(&AdamConfig { decoupled_weight_decay: true, weight_decay: 0.1, ..default }, true);
        same_on_both_paths(&AdamConfig { bias_correction: false, lr: 10.0, ..default }, true);
        same_on_both_paths(&AdamConfig { amsgrad: true, ..default }, true);
        let odd = AdamConfig { amsgrad: true, betas: (0.3, 0.99), weight_decay: 1e-3, maximize: true, ..default };
        same_on_both_paths(&odd, false);
    }

    #[test]
    fn momentum_in_every_form_on_avx512_is_the_general_step_bit_for_bit() {
        if !crate::kernels::cpu::cpu_has_avx512() {
            eprintln!("skipped: this CPU has no AVX-512, so both runs would take the general step");
            return;
        }
        let _switch = crate::kernels::cpu::baseline_switch();
        let momentum = SgdConfig { momentum: 0.9, ..SgdConfig::default() };
        same_on_both_paths(&momentum, true);
        same_on_both_paths(&SgdConfig { nesterov: true, ..momentum }, true);
        same_on_both_paths(&SgdConfig { dampening: 0.1, lr: 10.0, ..momentum }, true);
        same_on_both_paths(&SgdConfig { maximize: true, weight_decay: 1e-2, ..momentum }, false);
        same_on_both_paths(&SgdConfig { momentum_form: MomentumForm::Ema, ..momentum }, true);
        same_on_both_paths(&SgdConfig { momentum_form: MomentumForm::HeavyBall, ..momentum }, true);
        let heavy = SgdConfig { momentum_form: MomentumForm::HeavyBall, maximize: true, lr: 10.0, ..momentum };
        same_on_both_paths(&heavy, true);
    }

    #[test]
    fn adadelta_on_avx512_is_the_general_step_bit_for_bit() {
        if !crate::kernels::cpu::cpu_has_avx512() {
            eprintln!("skipped: this CPU has no AVX-512, so both runs would take the general step");
            return;
        }
        let _switch = crate::kernels::cpu::baseline_switch();
        let default = AdadeltaConfig::default();
        same_on_both_paths(&default, true);
        same_on_both_paths(&AdadeltaConfig { rho: 0.5, lr: 10.0, ..default }, true);
        same_on_both_paths(&AdadeltaConfig { maximize: true, weight_decay: 1e-2, ..default }, false);
    }
}
