//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds
//! the migration directories at compile time, and cargo does not otherwise
//! watch files no source mentions.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
