//! Errors: every user-facing failure of descent is a typed [`Error`].

/// Shorthand for `Result<T, descent::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, with enough detail to fix it without a debugger.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Two operands whose shapes do not fit together.
    #[error("{op}: shapes {lhs:?} and {rhs:?} are incompatible: {reason}")]
    Shape {
        /// The op or layer that refused the shapes (`"add"`, `"linear"`...).
        op: &'static str,
        /// Shape of the first operand.
        lhs: Vec<usize>,
        /// Shape of the second operand (or the expected shape).
        rhs: Vec<usize>,
        /// Why the shapes do not fit.
        reason: String,
    },
    /// An argument outside its valid range (an axis, a stride, a label...).
    #[error("{op}: invalid {name}: {reason}")]
    InvalidArgument {
        /// The op, layer or function that refused the argument.
        op: &'static str,
        /// The argument's name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A gradient with a NaN or infinite value: the optimizer refused the
    /// step and changed nothing. Training loops record the run as diverged.
    #[error("{op}: gradient {index} has a non-finite value (NaN or inf); the step was not taken")]
    NonFiniteGradient {
        /// The optimizer that refused the step.
        op: &'static str,
        /// Which parameter's gradient (in the order of the step's arguments).
        index: usize,
    },
    /// A value that does not belong to the tape it is used with.
    #[error("{0}")]
    Graph(String),
    /// A data file that is missing, truncated, corrupt or not what its name says.
    #[error("{file}: {reason}")]
    Data {
        /// The file (path or URL).
        file: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A dataset that is nowhere descent looked.
    #[error("{what} not found; looked in:\n{looked}\n{fix}", looked = .looked.iter().map(|l| format!("  - {l}")).collect::<Vec<_>>().join("\n"))]
    NotFound {
        /// What was looked for.
        what: String,
        /// Every place descent looked, with why it did not qualify.
        looked: Vec<String>,
        /// How to get it.
        fix: String,
    },
    /// An operating-system error (reading or writing a file, a socket).
    #[error("{path}: {message}")]
    Io {
        /// The file or address involved.
        path: String,
        /// The system's message.
        message: String,
    },
}

/// `e`'s message followed by its sources' (`outer: inner: innermost`): a
/// template engine's or a parser's error says where in its first line and
/// why only in a source.
pub fn with_sources(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    msg
}

impl Error {
    /// A shape error for `op` with both shapes and a reason.
    pub fn shape(op: &'static str, lhs: &[usize], rhs: &[usize], reason: impl Into<String>) -> Self {
        Error::Shape { op, lhs: lhs.to_vec(), rhs: rhs.to_vec(), reason: reason.into() }
    }

    /// A data error for `file`.
    pub fn data(file: impl std::fmt::Display, reason: impl Into<String>) -> Self {
        Error::Data { file: file.to_string(), reason: reason.into() }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl std::fmt::Display, err: std::io::Error) -> Self {
        Error::Io { path: path.to_string(), message: err.to_string() }
    }

    /// An invalid-argument error for argument `name` of `op`.
    pub fn invalid(op: &'static str, name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument { op, name, reason: reason.into() }
    }
}
