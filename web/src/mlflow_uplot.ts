// uPlot and its stylesheet, in a chunk of their own: only the run pages (a run's metric history,
// the compare overlay) load it, on first use.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export default uPlot;
