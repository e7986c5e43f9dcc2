-- FFN neuron importance of one layer from the stored weight rows (ffn_neuron_importance, 031).
SELECT neuron, importance FROM ffn_neuron_importance(%(model_id)s, %(layer_index)s, %(intermediate)s)
