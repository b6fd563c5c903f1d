//! One module per subcommand.

pub mod explain;
pub mod otp;
pub mod vectors;
