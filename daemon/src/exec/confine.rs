//! Path confinement: every path a plan names must lie inside the root once symlinks are
//! resolved, compared component by component (a sibling whose name starts with the root's
//! name is outside). A path that does not exist yet is judged by its longest existing
//! ancestor, and what follows that may not climb with `..`.

use super::policy::{Plan, Refusal};
use std::path::{Component, Path, PathBuf};

/// The directory commands run in and may reach, canonical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root(PathBuf);

impl Root {
    /// Resolves `dir` (symlinks included); it must be an existing directory.
    pub fn new(dir: &Path) -> std::io::Result<Root> {
        let canonical = dir.canonicalize()?;
        if !canonical.is_dir() {
            return Err(std::io::Error::other(format!(
                "{} is not a directory",
                canonical.display()
            )));
        }
        Ok(Root(canonical))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Whether `dir` (canonical) lies inside this root: a client's working directory must,
    /// before it can be a root of its own.
    pub fn contains(&self, dir: &Path) -> bool {
        dir.starts_with(&self.0)
    }

    /// Where `rel` leads, if inside the root.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, Refusal> {
        let outside = |why: &str| Refusal {
            rule: "outside-root",
            reason: format!("{rel}: {why}"),
        };
        if Path::new(rel).is_absolute() {
            return Err(outside("absolute paths are refused"));
        }
        let joined = self.0.join(rel);
        // The longest ancestor that exists, resolved; then the rest, which must not climb.
        for ancestor in joined.ancestors() {
            let Ok(real) = ancestor.canonicalize() else {
                continue;
            };
            let rest = joined.strip_prefix(ancestor).unwrap_or(Path::new(""));
            if rest.components().any(|c| c == Component::ParentDir) {
                return Err(outside("climbs with .. past what exists"));
            }
            let target = real.join(rest);
            return if target.starts_with(&self.0) {
                Ok(target)
            } else {
                Err(outside(&format!(
                    "leads to {}, outside the root",
                    target.display()
                )))
            };
        }
        Err(outside("cannot be resolved"))
    }

    /// Moves each operand `plan` took as a revision for want of a `--` after the `--` when
    /// it names something that exists (git's own reading: `git log src/`, `git blame
    /// a.txt`), where it becomes a path to check.
    pub fn settle(&self, mut plan: Plan) -> Plan {
        let moved: Vec<usize> = plan
            .revisions
            .iter()
            .copied()
            .filter(|&i| {
                plan.args
                    .get(i)
                    .is_some_and(|a| self.0.join(a).symlink_metadata().is_ok())
            })
            .collect();
        if moved.is_empty() {
            return plan;
        }
        let shift = |i: usize| i - moved.iter().filter(|&&m| m < i).count();
        let mut args = Vec::with_capacity(plan.args.len());
        let mut tail = Vec::new();
        for (i, a) in plan.args.into_iter().enumerate() {
            if moved.contains(&i) {
                tail.push(a);
            } else {
                args.push(a);
            }
        }
        let mut paths: Vec<usize> = plan.paths.iter().map(|&i| shift(i)).collect();
        for a in tail {
            paths.push(args.len());
            args.push(a);
        }
        plan.revisions = plan
            .revisions
            .iter()
            .filter(|i| !moved.contains(i))
            .map(|&i| shift(i))
            .collect();
        plan.args = args;
        plan.paths = paths;
        plan
    }

    /// Checks every path of `plan`.
    pub fn check(&self, plan: &Plan) -> Result<(), Refusal> {
        for &i in &plan.paths {
            if let Some(arg) = plan.args.get(i) {
                self.resolve(arg)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn paths_stay_inside_the_root_after_symlinks_and_component_by_component() {
        let tmp = tempfile::tempdir().expect("tmp");
        let root_dir = tmp.path().join("proj");
        let sibling = tmp.path().join("proj-evil");
        std::fs::create_dir_all(root_dir.join("sub")).expect("mkdir");
        std::fs::create_dir_all(&sibling).expect("mkdir");
        std::fs::write(root_dir.join("sub/a.txt"), "a").expect("write");
        std::fs::write(sibling.join("s"), "secret").expect("write");
        symlink("/tmp", root_dir.join("link")).expect("symlink");
        symlink(&sibling, root_dir.join("evil")).expect("symlink");
        symlink("sub", root_dir.join("inner")).expect("symlink");
        let root = Root::new(&root_dir).expect("root");

        assert!(root.resolve("sub/a.txt").is_ok());
        assert!(
            root.resolve("inner/a.txt").is_ok(),
            "a link that stays inside"
        );
        assert!(
            root.resolve("not/yet/there").is_ok(),
            "judged by what exists"
        );
        assert!(
            root.resolve("./--help").is_ok(),
            "a missing file, not an option"
        );
        for out in [
            "link/s",
            "evil/s",
            "../proj-evil/s",
            "sub/../../proj-evil/s",
            "/etc/passwd",
            "nothere/../../x",
        ] {
            let r = root.resolve(out);
            assert_eq!(
                r.as_ref().map_err(|e| e.rule),
                Err("outside-root"),
                "{out}: {r:?}"
            );
        }
        assert!(root.contains(&root_dir.join("sub").canonicalize().expect("sub")));
        assert!(!root.contains(&sibling.canonicalize().expect("sibling")));
    }
}
