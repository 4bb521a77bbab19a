"""Tests of panel.py's committed models (run by `make test`): a member's saved model seeds an empty cache with
its weights checked, a damaged one is refused, and saving replaces the member's older model only."""
import json, os, shutil, sys, tempfile, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import panel  # noqa: E402
import compare  # noqa: E402

MODEL = os.path.join(panel.REPO, "Reference", "model", "default.safetensors")


class CommittedModelTests(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root)
        self.saved_before = panel.SAVED_MODELS
        panel.SAVED_MODELS = os.path.join(self.root, "saved")
        self.addCleanup(setattr, panel, "SAVED_MODELS", self.saved_before)

    def cached_model(self, name_key):
        """A cache folder as trained_model and truth_scripts leave it, with a scratch file that is not saved."""
        folder = os.path.join(self.root, "cache", "models", name_key)
        os.makedirs(os.path.join(folder, "truth"))
        shutil.copyfile(MODEL, os.path.join(folder, "model.safetensors"))
        record = {"weights_sha256": panel.weights_sha256(MODEL), "seconds_by_threads": {"1": 60.0}}
        with open(os.path.join(folder, "done.json"), "w") as f:
            json.dump(record, f)
        for name in ("truth_coattention", "truth_focus", "truth_epistasis"):
            with open(os.path.join(folder, "truth", name + ".tsv"), "w") as f:
                f.write(f"{name}\n")
        with open(os.path.join(folder, "train.log"), "w") as f:
            f.write("log\n")
        return folder

    def test_a_saved_model_seeds_an_empty_cache_folder(self):
        folder = self.cached_model("d-iid-short-0123456789abcdef")
        panel.save_model(folder)
        shutil.rmtree(folder)
        self.assertTrue(panel.restore_saved_model(folder))
        self.assertEqual(panel.weights_sha256(os.path.join(folder, "model.safetensors")), panel.weights_sha256(MODEL))
        self.assertEqual(sorted(os.listdir(os.path.join(folder, "truth"))),
                         ["truth_coattention.tsv", "truth_epistasis.tsv", "truth_focus.tsv"])
        self.assertFalse(os.path.exists(os.path.join(folder, "train.log")))
        # Another key (other data, arguments or training code) has no saved model.
        self.assertFalse(panel.restore_saved_model(os.path.join(self.root, "cache", "models", "d-iid-short-fedcba9876543210")))

    def test_damaged_weights_are_refused(self):
        folder = self.cached_model("d-iid-short-0123456789abcdef")
        panel.save_model(folder)
        shutil.rmtree(folder)
        saved = os.path.join(panel.SAVED_MODELS, "d-iid-short-0123456789abcdef", "model.safetensors")
        with open(saved, "r+b") as f:
            f.seek(-4, os.SEEK_END)
            last = f.read(4)
            f.seek(-4, os.SEEK_END)
            f.write(bytes(b ^ 0xFF for b in last))
        with self.assertRaises(panel.StageError):
            panel.restore_saved_model(folder)
        self.assertFalse(os.path.exists(folder))

    def test_saving_replaces_only_the_members_older_model(self):
        panel.save_model(self.cached_model("d-iid-short-0000000000000000"))
        panel.save_model(self.cached_model("d-iid-short-long-0000000000000000"))
        panel.save_model(self.cached_model("d-iid-short-1111111111111111"))
        self.assertEqual(sorted(os.listdir(panel.SAVED_MODELS)),
                         ["d-iid-short-1111111111111111", "d-iid-short-long-0000000000000000"])


class PartialRunTests(unittest.TestCase):
    def test_compare_reads_the_finished_members_of_a_run_still_going(self):
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        out_before = panel.OUT
        panel.OUT = root
        self.addCleanup(setattr, panel, "OUT", out_before)
        os.makedirs(os.path.join(root, "going"))
        with open(os.path.join(root, "going", "members.json"), "w") as f:
            json.dump({"provenance": "", "complete": False, "real": [],
                       "simulated": [{"member": "d-iid-short", "half": "dev"},
                                     {"member": "d-fly-medium", "half": "dev", "error": "train failed"}]}, f)
        rows = compare.rows_of("going")
        self.assertEqual(list(rows), ["d-iid-short"])
        self.assertEqual(rows["d-iid-short"][1], os.path.join(root, "going", "d-iid-short"))


if __name__ == "__main__":
    unittest.main()
