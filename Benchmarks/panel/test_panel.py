"""Tests of the panel's scripts (run by `make test`): a member's saved model seeds an empty cache with its weights
checked, a damaged one is refused, and saving replaces the member's older model only; compare.py reads a run still
going; peer.py judges each model's joint use of a planted pair by that model's own knock-outs."""
import argparse, json, os, shutil, sys, tempfile, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import panel  # noqa: E402
import compare  # noqa: E402
import peer  # noqa: E402

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


class JointUseByModelTests(unittest.TestCase):
    """peer.py's verdict per planted pair and model: used jointly when the planted sites' knock-out interaction is
    positive in more sequences than the sign test allows by chance (p ≤ panel.JOINT_P)."""

    def truth_folder(self, root, name, rows):
        """A model's cache folder as truth_scripts leaves it, with truth_epistasis.tsv rows (pair, n, mean, positive)."""
        folder = os.path.join(root, name)
        os.makedirs(os.path.join(folder, "truth"))
        with open(os.path.join(folder, "truth", "truth_epistasis.tsv"), "w") as f:
            f.write(f"model {name}\npair\tn\tmean_interaction\tmedian_interaction\tfraction_positive\tdrop_a\tdrop_b\t"
                    "mean_probability_interaction\tfraction_positive_probability\tpositive\n")
            for pair, n, mean, positive in rows:
                f.write(f"P {pair}\t{n}\t{mean}\t0\t{positive / n:.2f}\t1\t1\t0\t0\t{positive}\n")
        panel.Stamp(os.path.join(folder, "truth")).write({"seconds": 1.0})
        return folder

    def test_each_model_is_judged_by_its_own_knock_outs(self):
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        simdir = os.path.join(root, "sim")
        os.makedirs(simdir)
        with open(os.path.join(simdir, "truth_pairs.tsv"), "w") as f:
            f.write("motif_a\tname_a\tmotif_b\tname_b\nMA2\tZEB\tMA1\tALX\nMA3\tCUX\tMA4\tDLX\n")
        with open(os.path.join(simdir, "truth_motifs.tsv"), "w") as f:
            f.write("motif\tname\n")
        # 200 sequences: 130 positive gives a sign-test p of about 1e-5 (joint); 110 about 0.09 (not).
        ours = self.truth_folder(root, "ours", [("ALX + ZEB", 200, 0.9, 130), ("CUX + DLX", 200, 0.1, 110)])
        theirs = self.truth_folder(root, "theirs", [("ALX + ZEB", 200, 0.8, 130), ("CUX + DLX", 200, 0.5, 130)])
        options = argparse.Namespace(threads=1, analyse=False)
        rows = peer.planted_pairs_by_model({"name": "m", "n_test": "200"}, simdir, {"motifattn": ours, "pytorch": theirs},
                                           options, "label", 1)
        self.assertEqual(rows["ALX + ZEB"]["pair"], "MA1+MA2")
        self.assertEqual([rows[p]["motifattn"]["joint"] for p in ("ALX + ZEB", "CUX + DLX")], [True, False])
        self.assertEqual([rows[p]["pytorch"]["joint"] for p in ("ALX + ZEB", "CUX + DLX")], [True, True])
        self.assertEqual(rows["CUX + DLX"]["pytorch"]["interaction"], 0.5)
        self.assertEqual(peer.pair_summary(rows, "motifattn", "joint"), "1/2")
        self.assertEqual(peer.pair_summary(rows, "pytorch", "joint"), "2/2")
        self.assertEqual(peer.pair_summary(rows, "pytorch", "analyze"), "-")


if __name__ == "__main__":
    unittest.main()
