//! The safe-command executor (SECURITY.md §1), built up in parts. So far: the policy
//! checker, pure over the policy's data (`policy`), and path confinement against the real
//! root (`confine`). Nothing here starts a process yet; the child, its sandbox and its
//! supervision, the protocol and the audit come next (issue 10).

pub mod confine;
pub mod policy;
pub mod spawn;

#[cfg(test)]
mod tests;
