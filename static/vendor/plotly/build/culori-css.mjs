// What plotly.js takes from culori, with the color spaces CSS names (those culori's "culori/css" entry
// registers) instead of the package's main entry, which registers every color space culori knows and
// bundles its interpolation, blending and palette functions besides.
import 'culori/css';

export { converter, formatHex, formatRgb, wcagContrast, wcagLuminance } from 'culori/fn';
