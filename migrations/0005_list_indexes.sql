-- 0005: the clip list pages by keyset on each of its sort orders; without these indexes every
-- page sorted all clips (measured by bench/api.sh: 10 ms a page at 10,000 clips).
CREATE INDEX clips_name_id ON clips (name, id);
CREATE INDEX clips_scene_take_id ON clips ((coalesce(scene, '')), (coalesce(take, '')), id);
