//! Editing `Cargo.toml` for fixes that need a dependency feature (e.g. tokio's
//! `rt-multi-thread`), keeping the manifest's formatting and comments (toml_edit).

use toml_edit::{Array, DocumentMut, InlineTable, Item, Value};

/// `manifest` with `feature` enabled on the dependency `dependency` (by its key, or by
/// `package = ".."` for a renamed one) in `[dependencies]`, else `[dev-dependencies]`.
/// `Ok(None)` when the feature is already there.
pub fn enable_feature(
    manifest: &str,
    dependency: &str,
    feature: &str,
) -> Result<Option<String>, String> {
    let mut doc: DocumentMut = manifest
        .parse()
        .map_err(|e| format!("Cargo.toml does not parse: {e}"))?;
    for table in ["dependencies", "dev-dependencies"] {
        let Some(deps) = doc.get_mut(table).and_then(Item::as_table_like_mut) else {
            continue;
        };
        let key = deps.iter().find_map(|(key, item)| {
            let package = item.get("package").and_then(Item::as_str);
            (key == dependency || package == Some(dependency)).then(|| key.to_owned())
        });
        let Some(key) = key else { continue };
        let item = deps.get_mut(&key).expect("key found above");
        if let Some(version) = item.as_str().map(str::to_owned) {
            // `tokio = "1"` becomes `tokio = { version = "1", features = [..] }`.
            let mut inline = InlineTable::new();
            inline.insert("version", Value::from(version));
            inline.insert("features", Value::Array(Array::from_iter([feature])));
            *item = Item::Value(Value::InlineTable(inline));
            return Ok(Some(doc.to_string()));
        }
        let Some(entry) = item.as_table_like_mut() else {
            return Err(format!("cannot read the `{key}` dependency"));
        };
        match entry.get_mut("features").and_then(Item::as_array_mut) {
            Some(features) => {
                if features.iter().any(|f| f.as_str() == Some(feature)) {
                    return Ok(None);
                }
                features.push(feature);
            }
            None => {
                entry.insert(
                    "features",
                    Item::Value(Value::Array(Array::from_iter([feature]))),
                );
            }
        }
        return Ok(Some(doc.to_string()));
    }
    Err(format!("no `{dependency}` dependency in Cargo.toml"))
}

#[cfg(test)]
mod tests {
    use super::enable_feature;

    #[test]
    fn every_way_of_writing_a_dependency() {
        let f = |m: &str| enable_feature(m, "tokio", "rt-multi-thread").unwrap();
        assert_eq!(
            f("[dependencies]\ntokio = \"1\"\n").unwrap(),
            "[dependencies]\ntokio = { version = \"1\", features = [\"rt-multi-thread\"] }\n"
        );
        assert_eq!(
            f("[dependencies]\n# the runtime\ntokio = { version = \"1\", features = [\"macros\"] } # keep\n").unwrap(),
            "[dependencies]\n# the runtime\ntokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] } # keep\n"
        );
        assert_eq!(
            f("[dependencies.tokio]\nversion = \"1\"\n").unwrap(),
            "[dependencies.tokio]\nversion = \"1\"\nfeatures = [\"rt-multi-thread\"]\n"
        );
        assert_eq!(
            f("[dependencies]\nrt = { package = \"tokio\", workspace = true }\n").unwrap(),
            "[dependencies]\nrt = { package = \"tokio\", workspace = true , features = [\"rt-multi-thread\"] }\n"
        );
        assert_eq!(
            f(
                "[dev-dependencies]\ntokio = { version = \"1\", features = [\"rt-multi-thread\"] }\n"
            ),
            None
        );
        assert!(enable_feature("[dependencies]\nserde = \"1\"\n", "tokio", "x").is_err());
    }
}
