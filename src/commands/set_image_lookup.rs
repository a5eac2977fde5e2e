//! `streampin set-image-lookup`: `oc set image-lookup` on the files.

use crate::ExitStatus;
use crate::author::{self, ResourceArg, Workspace, lookup};
use crate::commands::author::{Common, changed_messages, finish, print_table};

/// Run `set-image-lookup`.
pub fn run(
    names: &[String],
    enabled: bool,
    list: bool,
    common: &Common,
) -> anyhow::Result<ExitStatus> {
    let mut ws = Workspace::load(&common.files, common.namespace.clone(), common.limits)?;
    let objects = ws.objects();
    let mut errors = Vec::new();
    // A bare name is an image stream; `kind/name` any object.
    let mut targets = Vec::new();
    for n in names {
        if n.contains('/') {
            targets.extend(
                author::parse_resources(std::slice::from_ref(n)).map_err(anyhow::Error::msg)?,
            );
        } else {
            targets.push(ResourceArg {
                kind: "ImageStream",
                name: n.clone(),
            });
        }
    }
    let found: Vec<author::Object> = if names.is_empty() {
        // Every stream, sorted by namespace and name as the server lists them.
        let mut all: Vec<author::Object> = objects
            .iter()
            .filter(|o| o.id.kind == "ImageStream")
            .filter(|o| {
                common
                    .namespace
                    .as_deref()
                    .is_none_or(|ns| o.id.namespace == ns)
            })
            .cloned()
            .collect();
        all.sort_by(|a, b| (&a.id.namespace, &a.id.name).cmp(&(&b.id.namespace, &b.id.name)));
        all
    } else {
        let mut v = Vec::new();
        for r in &targets {
            match author::find(&objects, r, common.namespace.as_deref()) {
                Ok(o) => v.push(o.clone()),
                Err(e) => errors.push(e),
            }
        }
        v
    };
    if names.is_empty() || list {
        let mut rows = vec![vec!["NAME".to_string(), "LOCAL".to_string()]];
        for o in &found {
            let name = if o.id.kind == "ImageStream" {
                o.id.name.clone()
            } else {
                format!("{}/{}", author::plural(&o.id.kind), o.id.name)
            };
            rows.push(vec![name, lookup::enabled(&o.value).to_string()]);
        }
        return print_table(&ws, &rows, &errors, common);
    }
    let wanted: Vec<_> = found
        .into_iter()
        .map(|o| {
            let mut v = o.value.clone();
            lookup::set(&mut v, enabled);
            (o, v)
        })
        .collect();
    let messages = changed_messages(&wanted, "updated");
    finish(&ws, &wanted, errors, &messages, common)
}
