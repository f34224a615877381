//! The example cost estimator agent, built into the binary so `agentprep demo` runs anywhere
//! (no checkout needed). The files are the ones under `examples/cost_estimator_agent/`.

/// (path below the agent's folder, contents)
pub const COST_ESTIMATOR_FILES: &[(&str, &str)] = &[
    (
        "__init__.py",
        include_str!("../examples/cost_estimator_agent/__init__.py"),
    ),
    (
        "config.py",
        include_str!("../examples/cost_estimator_agent/config.py"),
    ),
    (
        "cost_estimator_agent.py",
        include_str!("../examples/cost_estimator_agent/cost_estimator_agent.py"),
    ),
    (
        "data/prices.json",
        include_str!("../examples/cost_estimator_agent/data/prices.json"),
    ),
    (
        "pricing/__init__.py",
        include_str!("../examples/cost_estimator_agent/pricing/__init__.py"),
    ),
    (
        "pricing/parser.py",
        include_str!("../examples/cost_estimator_agent/pricing/parser.py"),
    ),
    (
        "pricing/table.py",
        include_str!("../examples/cost_estimator_agent/pricing/table.py"),
    ),
];

/// Write the example into `dir` (replacing what a previous demo wrote there).
pub fn write_cost_estimator(dir: &std::path::Path) -> std::io::Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    for (path, text) in COST_ESTIMATOR_FILES {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, text)?;
    }
    Ok(())
}
