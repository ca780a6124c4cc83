//! Parser from the XML tree to the XCCDF model. Placeholder.
