//! The template files: enough distinct phrasings, every one renders, the choice is pinned.

use avfit::record::Task;
use avfit::render::Templates;
use std::collections::BTreeSet;

#[test]
fn each_task_has_at_least_ten_distinct_phrasings_that_render() {
    let templates = Templates::builtin().unwrap();
    for task in [Task::Arig, Task::Igatl, Task::Avfc, Task::Avqa, Task::Avc] {
        let rendered = templates.probe_all(task).unwrap();
        let distinct: BTreeSet<&String> = rendered.iter().map(|(instruction, _)| instruction).collect();
        assert!(
            distinct.len() >= 10,
            "{}: {} distinct instructions",
            task.as_str(),
            distinct.len()
        );
        assert_eq!(templates.ids(task).len(), rendered.len());
    }
}

#[test]
fn the_repository_files_are_the_built_in_ones() {
    let from_dir = Templates::from_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")).unwrap();
    let builtin = Templates::builtin().unwrap();
    assert_eq!(from_dir.digest(), builtin.digest());
}

#[test]
fn choice_is_a_stable_hash_of_seed_and_sample_id() {
    let t = Templates::builtin().unwrap();
    let id = "vggss/aaaaaaaaaaa_000010/arig";
    assert_eq!(
        t.label(Task::Arig, t.choose(Task::Arig, 0, id).unwrap()),
        "arig/which-region"
    );
    assert_eq!(
        t.choose(Task::Arig, 0, id).unwrap(),
        t.choose(Task::Arig, 0, id).unwrap()
    );
    let over_seeds: BTreeSet<usize> = (0..50).map(|seed| t.choose(Task::Arig, seed, id).unwrap()).collect();
    assert!(over_seeds.len() > 5, "seeds should spread the choice: {over_seeds:?}");
}

#[test]
fn avqa_templates_may_wrap_the_input() {
    let t = Templates::builtin().unwrap();
    let index = t.ids(Task::Avqa).iter().position(|id| id == "given-clip").unwrap();
    let (instruction, input) = t.probe_all(Task::Avqa).unwrap().remove(index);
    assert_eq!(instruction, "Given the video clip and its sound, answer:");
    assert_eq!(input, "What is making the sound? (a dog / a cat)");
    let other = t.ids(Task::Avqa).iter().position(|id| id == "reason").unwrap();
    assert_eq!(
        t.probe_all(Task::Avqa).unwrap()[other].1,
        "What is making the sound?\nOptions: a dog; a cat"
    );
}

#[test]
fn a_duplicate_id_or_empty_file_is_refused() {
    let dup = "[[template]]\nid = \"a\"\ninstruction = \"x\"\n[[template]]\nid = \"a\"\ninstruction = \"y\"\n";
    let err = Templates::from_texts("test", [(Task::Avc, "avc.toml".to_string(), dup.to_string())])
        .err()
        .unwrap();
    assert_eq!(err.to_string(), "avc.toml: template a: this id is used twice");
    let empty = "template = []\n";
    let err = Templates::from_texts("test", [(Task::Avc, "avc.toml".to_string(), empty.to_string())])
        .err()
        .unwrap();
    assert_eq!(err.to_string(), "avc.toml: template -: no [[template]] entry");
    let blank = "[[template]]\nid = \"blank\"\ninstruction = \"{% if false %}x{% endif %}\"\n";
    let err = Templates::from_texts("test", [(Task::Avc, "avc.toml".to_string(), blank.to_string())])
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "avc.toml: template blank: renders an empty instruction in dialect meerkat"
    );
}

#[test]
fn an_avqa_template_must_render_open_ended_questions_too() {
    let text = "[[template]]\nid = \"joined\"\ninstruction = \"Answer.\"\ninput = \"{{ question }} {{ choices | join(sep=', ') }}\"\n";
    let err = Templates::from_texts("test", [(Task::Avqa, "avqa.toml".to_string(), text.to_string())])
        .err()
        .unwrap();
    assert!(err.to_string().starts_with("avqa.toml: template joined: "), "{err}");
}

#[test]
fn grounding_tasks_have_ten_referring_phrasings_that_keep_the_class_in_the_input() {
    use avfit::render::TemplateSet;
    let t = Templates::builtin().unwrap();
    for task in [Task::Arig, Task::Igatl] {
        let referring = t.indices(task, TemplateSet::Referring);
        let media = t.indices(task, TemplateSet::Media);
        assert_eq!((media.start, media.end), (0, referring.start));
        assert_eq!(referring.end, t.ids(task).len());
        let rendered = t.probe_all(task).unwrap();
        let distinct: BTreeSet<&String> = rendered[referring.clone()].iter().map(|(i, _)| i).collect();
        assert!(
            distinct.len() >= 10,
            "{}: {} referring phrasings",
            task.as_str(),
            distinct.len()
        );
        // The probe's class is `dog`: every referring input carries it, no media one does.
        assert!(rendered[referring.clone()]
            .iter()
            .all(|(_, input)| input.contains("dog")));
        assert!(rendered[media.clone()].iter().all(|(_, input)| input.is_empty()));
        // The choice stays within the set asked for.
        for seed in 0..20 {
            let id = format!("openimages/000{seed}/Dog/{}", task.as_str());
            assert!(referring.contains(&t.choose_in(task, TemplateSet::Referring, seed, &id).unwrap()));
            assert!(media.contains(&t.choose(task, seed, &id).unwrap()));
        }
    }
    // Tasks without a [[referring]] list refuse a referring sample, naming it.
    let err = t
        .choose_in(Task::Avc, TemplateSet::Referring, 0, "valor/x/avc")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "built-in templates: avc.toml has no [[referring]] template, needed by valor/x/avc (its input names the class because its media do not single it out)"
    );
}

#[test]
fn a_referring_template_that_drops_the_class_is_refused() {
    let text = "[[template]]\nid = \"a\"\ninstruction = \"Where is the sound?\"\n\
                [[referring]]\nid = \"b\"\ninstruction = \"Box the named object.\"\ninput = \"the object\"\n";
    let err = Templates::from_texts("test", [(Task::Arig, "arig.toml".to_string(), text.to_string())])
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "arig.toml: template b: a [[referring]] template must keep the class in its input: renders `the object` for `dog`"
    );
}
