//! `streampin set-triggers`: `oc set triggers` on the files.

use crate::ExitStatus;
use crate::author::{self, Workspace, triggers};
use crate::commands::author::{Common, changed_messages, finish, print_table};

/// Run `set-triggers`.
pub fn run(
    resources: &[String],
    flags: &triggers::Flags,
    common: &Common,
) -> anyhow::Result<ExitStatus> {
    // Flag errors come first, whatever the objects.
    let options = triggers::complete(flags, "").map_err(anyhow::Error::msg)?;
    let targets = author::parse_resources(resources).map_err(anyhow::Error::msg)?;
    let mut ws = Workspace::load(&common.files, common.namespace.clone(), common.limits)?;
    let objects = ws.objects();
    let mut errors = Vec::new();
    let mut found = Vec::new();
    for r in &targets {
        match author::find(&objects, r, common.namespace.as_deref()) {
            Ok(o) => found.push(o.clone()),
            Err(e) => errors.push(e),
        }
    }
    if options.print_table {
        let mut rows = vec![["NAME", "TYPE", "VALUE", "AUTO"].map(String::from).to_vec()];
        for o in &found {
            let name = format!("{}/{}", author::plural(&o.id.kind), o.id.name);
            let carrier = triggers::carrier(&o.id.api_version, &o.id.kind);
            for row in triggers::rows(&name, &o.value, carrier, &o.id.namespace) {
                rows.push(row.to_vec());
            }
        }
        return print_table(&ws, &rows, &errors, common);
    }
    let mut wanted = Vec::new();
    for o in found {
        let name = format!("{}/{}", author::plural(&o.id.kind), o.id.name);
        let at = format!("{}:{}", ws.display(&o), o.line);
        let Some(carrier) = triggers::carrier(&o.id.api_version, &o.id.kind) else {
            errors.push(format!("{at}: {name} does not support triggers"));
            continue;
        };
        let current = common.namespace.as_deref().unwrap_or(&o.id.namespace);
        let result = triggers::complete(flags, current).and_then(|opts| {
            let mut def = triggers::read(&o.value, carrier, &o.id.namespace)?;
            triggers::update(&mut def, &opts);
            let mut value = o.value.clone();
            triggers::apply(&def, &mut value, carrier, &o.id.namespace)?;
            Ok(value)
        });
        match result {
            Ok(v) => wanted.push((o, v)),
            Err(e) => errors.push(format!("{at}: {name} {e}")),
        }
    }
    let messages = changed_messages(&wanted, "triggers updated");
    finish(&ws, &wanted, errors, &messages, common)
}
